"""Template encoding speed: swift's ``Template.encode`` / ``encode_dataset`` vs ms-swift's, same rows.

Usage:
    python bench/encode.py [--rows 20000] [--repeats 3] [--num-proc 1 2] [--tokenizer DIR]
                           [--ms-swift-python /tmp/msswift-venv/bin/python] [--json OUT]

The rows are a deterministic synthetic multi-turn chat set (1-4 rounds, short to long
messages, a system prompt in about a third of them, some Chinese, digits and code).
The tokenizer is the tiny offline one (``swift_sdk.tiny``) unless ``--tokenizer DIR``
names a real one (a model folder; ms-swift also reads its ``config.json``, and one is
written next to a copy of the tokenizer when the folder has none). Both sides use the
``chatml`` template with no length limit.

Measured, each ``--repeats`` times (median), import and tokenizer loading excluded:
* ``encode loop``: ``template.encode(row)`` over every row in one process;
* ``dataset num_proc=N``: swift's ``encode_dataset`` (the path of ``swift sft``) vs
  ms-swift's ``EncodePreprocessor`` (the path of its ``swift sft``) with N processes.
Rates are rows (and input tokens) per wall second; ``samples/cpu-s`` divides by the CPU
time of the process and its ended children instead (``getrusage``: ms-swift's
``EncodePreprocessor`` works in a child process even with ``num_proc=1``), which a busy
machine disturbs less than wall time.
ms-swift runs in its own interpreter (``--ms-swift-python``), from a script this bench
writes to a temporary file; the first rows' encodings of both are compared.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from types import SimpleNamespace

_WORDS = (
    "the a model language train data token answer question user assistant system you I is are "
    "can will what who how why please thank hello name plugin learn fast good yes no one two "
    "three number math sum think step solution reason because write code python function return "
    "value list file path run test loss weather today city help sure this that it of to in on "
    "for with and not but if else loop print open save load"
).split()
_CHINESE = ("我是一个语言模型。", "你好，世界！", "今天天气很好。", "请帮我写一个函数。")
_SYSTEMS = (
    "You are a helpful assistant.",
    "You are a careful math tutor. Explain every step and check the result twice before answering.",
    "你是一个乐于助人的助手。",
    "Answer in one short sentence.",
)


def _text(rng: random.Random, n_words: int) -> str:
    parts = []
    for _ in range(n_words):
        r = rng.random()
        if r < 0.03:
            parts.append(rng.choice(_CHINESE))
        elif r < 0.08:
            parts.append(str(rng.randint(0, 10 ** rng.randint(1, 6))))
        elif r < 0.10:
            parts.append(f"f(x{rng.randint(0, 9)}) = [{rng.randint(0, 99)}, {{'k': 1}}]\n")
        else:
            parts.append(rng.choice(_WORDS))
    return " ".join(parts).capitalize() + rng.choice(".?!")


def _length(rng: random.Random, scale: int) -> int:
    # a long tail, as in real chat data: mostly short, sometimes long
    return max(1, min(int(rng.lognormvariate(0, 0.9) * scale), 12 * scale))


def make_rows(n: int, seed: int = 0) -> list[dict]:
    """``n`` deterministic chat rows in the standard ``messages`` format."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        messages = []
        if rng.random() < 0.3:
            messages.append({"role": "system", "content": rng.choice(_SYSTEMS)})
        for _ in range(rng.randint(1, 4)):
            messages.append({"role": "user", "content": _text(rng, _length(rng, 15))})
            messages.append({"role": "assistant", "content": _text(rng, _length(rng, 40))})
        rows.append({"messages": messages})
    return rows


# The baseline, run by ms-swift's interpreter: argv = tokenizer dir, rows file, repeats, num_procs, out.
MS_SWIFT_SCRIPT = r"""
import json, resource, statistics, sys, time
def cpu_now():  # this process and its finished children (ms-swift encodes in a child process)
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))
model_dir, rows_file, repeats, num_procs, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
from datasets import Dataset
from swift.dataset import EncodePreprocessor
from swift.model import get_processor
from swift.template import get_template
rows = [json.loads(line) for line in open(rows_file)]
processor = get_processor(model_dir, model_type="qwen3", download_model=False)
template = get_template(processor, template_type="chatml", max_length=10**7, truncation_strategy="raise")
template.set_mode("train")
result = {"samples": [{k: template.encode(r)[k] for k in ("input_ids", "labels")} for r in rows[:8]]}
loop, cpu, tokens = [], [], 0
for _ in range(repeats):
    start, start_cpu = time.perf_counter(), cpu_now()
    tokens = sum(len(template.encode(r)["input_ids"]) for r in rows)
    loop.append(time.perf_counter() - start)
    cpu.append(cpu_now() - start_cpu)
result["encode loop"] = {"seconds": loop, "cpu_seconds": cpu, "tokens": tokens}
dataset = Dataset.from_list(rows)
for n in [int(x) for x in num_procs.split(",") if x]:
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), cpu_now()
        encoded = EncodePreprocessor(template)(dataset, num_proc=n, load_from_cache_file=False)
        times.append(time.perf_counter() - start)
        cpu.append(cpu_now() - start_cpu)
    result[f"dataset num_proc={n}"] = {"seconds": times, "cpu_seconds": cpu, "tokens": sum(encoded["length"])}
json.dump(result, open(out, "w"))
"""


def cpu_now() -> float:
    """CPU seconds of this process and of its children that have ended (pool workers)."""
    return sum(
        r.ru_utime + r.ru_stime for r in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def model_dir_for_ms_swift(tokenizer_dir: str, work: str) -> str:
    """``tokenizer_dir`` if it has a ``config.json``; else a copy with a tiny Qwen3 config."""
    if os.path.exists(os.path.join(tokenizer_dir, "config.json")):
        return tokenizer_dir
    target = os.path.join(work, "ms_swift_model")
    shutil.copytree(tokenizer_dir, target)
    from transformers import AutoConfig, AutoTokenizer

    vocab = len(AutoTokenizer.from_pretrained(tokenizer_dir))
    AutoConfig.for_model(
        "qwen3",
        vocab_size=vocab,
        hidden_size=64,
        num_hidden_layers=1,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=128,
    ).save_pretrained(target)
    return target


def run_ms_swift(python: str, model_dir: str, rows: list[dict], repeats: int, num_procs: list[int], work: str) -> dict:
    """Run the baseline script in ms-swift's interpreter; its JSON result."""
    script, rows_file, out = (os.path.join(work, n) for n in ("ms.py", "rows.jsonl", "ms.json"))
    with open(script, "w") as fh:
        fh.write(MS_SWIFT_SCRIPT)
    with open(rows_file, "w") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    argv = [python, script, model_dir, rows_file, str(repeats), ",".join(map(str, num_procs)), out]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=work)
    if proc.returncode != 0:
        raise SystemExit(f"ms-swift baseline failed:\n{proc.stderr[-3000:]}")
    with open(out) as fh:
        return json.load(fh)


def run_ours(tokenizer_dir: str, rows: list[dict], repeats: int, num_procs: list[int]) -> dict:
    """The same measurements with swift's template and ``encode_dataset``."""
    from datasets import Dataset, disable_progress_bars
    from swift_transformers.data.encoding import encode_dataset
    from transformers import AutoTokenizer

    from swift.template import get_template

    disable_progress_bars()
    template = get_template("chatml", AutoTokenizer.from_pretrained(tokenizer_dir))
    result: dict = {"samples": [template.encode(r) for r in rows[:8]]}
    loop, cpu, tokens = [], [], 0
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), cpu_now()
        tokens = sum(len(template.encode(r)["input_ids"]) for r in rows)
        loop.append(time.perf_counter() - start)
        cpu.append(cpu_now() - start_cpu)
    result["encode loop"] = {"seconds": loop, "cpu_seconds": cpu, "tokens": tokens}
    dataset = Dataset.from_list(rows)
    for n in num_procs:
        args = SimpleNamespace(
            lazy_tokenize=False, strict=False, dataset_num_proc=n, load_from_cache_file=False, data_seed=42
        )
        times, cpu = [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), cpu_now()
            encoded = encode_dataset(dataset, template, args)
            times.append(time.perf_counter() - start)
            cpu.append(cpu_now() - start_cpu)
        result[f"dataset num_proc={n}"] = {"seconds": times, "cpu_seconds": cpu, "tokens": sum(encoded["length"])}
    return result


def compare_samples(ours: list[dict], theirs: list[dict]) -> list[str]:
    """How the first rows' encodings differ: per field, rows equal and the differing id pairs."""
    notes = []
    for key in ("input_ids", "labels"):
        pairs: dict[tuple[int, int], int] = {}
        equal = 0
        for a, b in zip(ours, theirs):
            x, y = list(a[key]), list(b[key])
            equal += x == y
            if len(x) != len(y):
                notes.append(f"{key}: lengths differ ({len(x)} vs {len(y)})")
            for p, q in zip(x, y):
                if p != q:
                    pairs[(p, q)] = pairs.get((p, q), 0) + 1
        line = f"{key}: identical in {equal}/{len(ours)} rows"
        if pairs:
            line += "; differing (ours, ms-swift) ids: " + ", ".join(
                f"{p}->{q} x{n}" for (p, q), n in sorted(pairs.items())
            )
        notes.append(line)
    return notes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--num-proc", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--tokenizer", help="tokenizer (model) folder; default: the tiny one")
    parser.add_argument("--ms-swift-python", help="interpreter of an environment with ms-swift")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows = make_rows(args.rows)
    with tempfile.TemporaryDirectory() as work:
        tokenizer_dir = args.tokenizer
        if tokenizer_dir is None:
            from swift_sdk.tiny import build_tokenizer

            tokenizer_dir = os.path.join(work, "tiny")
            build_tokenizer().save_pretrained(tokenizer_dir)
        ours = run_ours(tokenizer_dir, rows, args.repeats, args.num_proc)
        theirs = None
        if args.ms_swift_python:
            model_dir = model_dir_for_ms_swift(tokenizer_dir, work)
            theirs = run_ms_swift(args.ms_swift_python, model_dir, rows, args.repeats, args.num_proc, work)

    print(f"{len(rows)} rows, load average {os.getloadavg()[0]:.2f} (1 min) at the end")
    print(f"{'case':<22}{'side':<10}{'samples/s':>11}{'tokens/s':>12}{'samples/cpu-s':>15}   (ratio: ours/ms-swift)")
    results = {"rows": len(rows), "loadavg": os.getloadavg()}
    for case in [k for k in ours if k != "samples"]:
        row = {}
        for side, data in (("swift", ours), ("ms-swift", theirs)):
            if data is None:
                continue
            median = statistics.median(data[case]["seconds"])
            cpu = data[case]["cpu_seconds"]
            row[side] = {
                "samples_s": len(rows) / median,
                "tokens_s": data[case]["tokens"] / median,
                "samples_cpu_s": len(rows) / statistics.median(cpu) if cpu else None,
                "seconds": data[case]["seconds"],
                "cpu_seconds": cpu,
            }
            per_cpu = f"{row[side]['samples_cpu_s']:>15.0f}" if cpu else f"{'-':>15}"
            print(f"{case:<22}{side:<10}{row[side]['samples_s']:>11.0f}{row[side]['tokens_s']:>12.0f}{per_cpu}")
        if theirs is not None:
            row["ratio"] = row["swift"]["samples_s"] / row["ms-swift"]["samples_s"]
            ours_cpu, theirs_cpu = row["swift"]["samples_cpu_s"], row["ms-swift"]["samples_cpu_s"]
            row["ratio_cpu"] = ours_cpu / theirs_cpu if ours_cpu and theirs_cpu else None
            per_cpu = f"{row['ratio_cpu']:>14.3f}x" if row["ratio_cpu"] else f"{'-':>15}"
            print(f"{'':<22}{'ratio':<10}{row['ratio']:>10.3f}x{'':>12}{per_cpu}")
        results[case] = row
    if theirs is not None:
        notes = compare_samples(ours["samples"], theirs["samples"])
        print("first 8 rows compared:\n  " + "\n  ".join(notes))
        results["differences"] = notes
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
