"""Wall time of a tiny end-to-end ``swift sft`` (LoRA) vs plain transformers+peft, same run.

Usage:
    python bench/sft_tiny.py [--runs 5] [--steps 50] [--samples 200] [--batch-size 4]
                             [--max-length 512] [--threads 1] [--model DIR] [--json OUT]

A tiny Qwen3 (``swift_sdk.tiny``, hidden 64, 2 layers) is built offline unless
``--model`` is given, and ``--samples`` synthetic chats (``bench/encode.py``'s
generator, rows of at most ``--max-length`` tokens) are written to a JSONL file.
Each run starts a fresh process, as a user would:

* swift: ``swift sft --model M --train_type lora --dataset rows.jsonl --max_steps 50 …``;
* baseline: a hand-written script (transformers ``Trainer`` + ``peft.get_peft_model``,
  the tokenizer's chat template with assistant masks for the labels), same batch size,
  learning rate and schedule, LoRA rank/alpha/dropout/targets, sequence lengths, seed and
  gradient checkpointing (on: ``swift sft``'s default). Both get ``--threads`` torch threads.

The wall time of each is split by the moment its progress lines arrive: start-up
(interpreter, imports, model and tokenizer load) until the model is loaded; data prep
(read + encode) until the training rows are ready; training (from the Trainer's
``on_train_begin`` to ``on_train_end``, printed by this module's ``TrainMarks`` callback,
given to swift as ``--callbacks sft_tiny:TrainMarks``); and the rest (tuner set-up,
trainer construction, saving the adapter, exit). CPU seconds (user+sys; a busy machine
disturbs them far less than wall time): the training loop's, the rest, the total.
Medians over ``--runs``; the two sides alternate so a load change on the machine hits both.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from transformers import TrainerCallback

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)
from encode import make_rows  # noqa: E402  (the shared synthetic chat generator)

LORA = {"lora_rank": 8, "lora_alpha": 32, "lora_dropout": 0.05}
PHASES = ("start-up", "data prep", "training", "rest", "total", "training CPU", "other CPU", "total CPU")


class TrainMarks(TrainerCallback):
    """Prints wall and CPU time when training starts and ends (``--callbacks sft_tiny:TrainMarks``)."""

    def _mark(self, name: str) -> None:
        # own line: a progress bar may have left the current one open
        print(f"\nMARK {name} {time.time()} {time.process_time()}", flush=True)

    def on_train_begin(self, args, state, control, **kwargs):
        self._mark("train_begin")

    def on_train_end(self, args, state, control, **kwargs):
        self._mark("train_end")


# The baseline run, as someone would write it with transformers+peft only.
# argv: model dir, rows file, output dir, settings JSON. Prints "MARK name unix_time [cpu]" lines.
BASELINE_SCRIPT = r"""
import json, sys, time
import torch
from peft import LoraConfig, get_peft_model
from sft_tiny import TrainMarks
from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments, set_seed
model_dir, rows_file, out_dir, cfg = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
set_seed(cfg["seed"])
tokenizer = AutoTokenizer.from_pretrained(model_dir)
model = AutoModelForCausalLM.from_pretrained(model_dir)
print("MARK loaded", time.time(), flush=True)
samples = []
for line in open(rows_file):
    enc = tokenizer.apply_chat_template(json.loads(line)["messages"], tokenize=True, return_dict=True,
                                        return_assistant_tokens_mask=True)
    ids, mask = enc["input_ids"], enc["assistant_masks"]
    samples.append({"input_ids": ids, "labels": [t if m else -100 for t, m in zip(ids, mask)]})
print("MARK data", time.time(), flush=True)

def collate(rows):  # pad right to the longest row of the batch
    width = max(len(r["input_ids"]) for r in rows)
    pad = lambda seq, v: seq + [v] * (width - len(seq))
    return {"input_ids": torch.tensor([pad(r["input_ids"], tokenizer.pad_token_id) for r in rows]),
            "labels": torch.tensor([pad(r["labels"], -100) for r in rows]),
            "attention_mask": torch.tensor([pad([1] * len(r["input_ids"]), 0) for r in rows])}

set_seed(cfg["seed"])
model = get_peft_model(model, LoraConfig(r=cfg["lora_rank"], lora_alpha=cfg["lora_alpha"],
                                         lora_dropout=cfg["lora_dropout"], target_modules="all-linear",
                                         task_type="CAUSAL_LM"))
args = TrainingArguments(output_dir=out_dir, max_steps=cfg["steps"], per_device_train_batch_size=cfg["batch"],
                         learning_rate=cfg["lr"], lr_scheduler_type="cosine", weight_decay=0.1,
                         logging_steps=10, save_strategy="no", report_to=[], seed=cfg["seed"],
                         gradient_checkpointing=cfg["checkpointing"],
                         use_cpu=not torch.cuda.is_available(), dataloader_pin_memory=False,
                         remove_unused_columns=False)
output = Trainer(model=model, args=args, train_dataset=samples, data_collator=collate,
                 callbacks=[TrainMarks()]).train()
model.save_pretrained(out_dir)
print("RESULT", json.dumps({"train_runtime": output.metrics["train_runtime"], "train_loss": output.training_loss}))
"""


def prepare(work: Path, model: str | None, samples: int, max_length: int) -> tuple[str, str]:
    """The model folder and a JSONL file of ``samples`` chats of at most ``max_length`` tokens."""
    from transformers import AutoTokenizer

    if model is None:
        from swift_sdk.tiny import build_tiny_model

        model = str(build_tiny_model(work / "tiny"))
    tokenizer = AutoTokenizer.from_pretrained(model)
    rows, seed = [], 0
    while len(rows) < samples:  # long rows are skipped so neither side truncates
        for row in make_rows(samples, seed=seed):
            ids = tokenizer.apply_chat_template(row["messages"], tokenize=True, return_dict=True)
            if len(ids["input_ids"]) <= max_length and len(rows) < samples:
                rows.append(row)
        seed += 1
    path = work / "rows.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return model, str(path)


def run_timed(argv: list[str], threads: int) -> tuple[float, float, float, list[tuple[float, str]]]:
    """Run ``argv``: start and end (unix time), CPU seconds, each output line with its arrival time."""
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, [BENCH_DIR, os.environ.get("PYTHONPATH")])),
    }
    if threads:  # torch's CPU threads spin-wait: on a shared machine 2 threads ran 5-10x slower than 1
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    start = time.time()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = [(time.time(), line.rstrip()) for line in proc.stdout]
    _, status, usage = os.wait4(proc.pid, 0)  # not proc.wait(): wait4 also gives its CPU time
    end = time.time()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = "\n".join(text for _, text in lines[-40:])
        raise SystemExit(f"{' '.join(argv[:3])} … failed ({proc.returncode}):\n{tail}")
    return start, end, usage.ru_utime + usage.ru_stime, lines


def _at(lines: list[tuple[float, str]], prefix: str) -> float:
    return next(t for t, text in lines if text.startswith(prefix))


def _marks(lines: list[tuple[float, str]]) -> dict[str, tuple[float, float]]:
    """``MARK name wall [cpu]`` lines: name -> (wall, cpu)."""
    found = {}
    for _, text in lines:
        if "MARK " in text:
            _, name, *values = text[text.index("MARK ") :].split()
            found[name] = (float(values[0]), float(values[-1]))
    return found


def phases(start: float, loaded: float, data: float, end: float, cpu: float, marks: dict) -> dict:
    """Seconds of each phase (see the module docstring)."""
    (begin, begin_cpu), (finish, finish_cpu) = marks["train_begin"], marks["train_end"]
    total, training_cpu = end - start, finish_cpu - begin_cpu
    return {
        "start-up": loaded - start,
        "data prep": data - loaded,
        "training": finish - begin,
        "rest": total - (data - start) - (finish - begin),
        "total": total,
        "training CPU": training_cpu,
        "other CPU": cpu - training_cpu,
        "total CPU": cpu,
    }


def run_swift(python: str, model: str, rows: str, out: Path, a: argparse.Namespace) -> dict:
    """One ``swift sft`` run through the console script, as a user types it."""
    script = Path(python).with_name("swift")
    head = [str(script)] if script.exists() else [python, "-m", "swift.cli.main"]
    argv = [
        *head,
        "sft",
        "--model",
        model,
        "--train_type",
        "lora",
        "--dataset",
        rows,
        "--max_steps",
        str(a.steps),
        "--per_device_train_batch_size",
        str(a.batch_size),
        "--gradient_accumulation_steps",
        "1",
        "--learning_rate",
        str(a.lr),
        "--target_modules",
        "all-linear",
        "--max_length",
        str(a.max_length),
        "--logging_steps",
        "10",
        "--save_steps",
        "100000",
        "--report_to",
        "none",
        "--split_dataset_ratio",
        "0",
        "--seed",
        "42",
        "--output_dir",
        str(out),
        "--callbacks",
        "sft_tiny:TrainMarks",
    ]
    for key, value in LORA.items():
        argv += [f"--{key}", str(value)]
    if a.template:
        argv += ["--template", a.template]
    start, end, cpu, lines = run_timed(argv, a.threads)
    loaded, data = _at(lines, "swift: sft run folder"), _at(lines, "swift: training rows")
    return phases(start, loaded, data, end, cpu, _marks(lines))


def run_baseline(python: str, model: str, rows: str, out: Path, a: argparse.Namespace) -> dict:
    """One run of the plain transformers+peft script."""
    script = out.parent / "baseline.py"
    script.write_text(BASELINE_SCRIPT)
    cfg = {
        **LORA,
        "steps": a.steps,
        "batch": a.batch_size,
        "lr": a.lr,
        "seed": 42,
        "checkpointing": True,
    }  # swift sft's default, as in ms-swift
    start, end, cpu, lines = run_timed([python, str(script), model, rows, str(out), json.dumps(cfg)], a.threads)
    marks = _marks(lines)
    return phases(start, marks["loaded"][0], marks["data"][0], end, cpu, marks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--model", help="model folder; default: a tiny Qwen3 built offline")
    parser.add_argument(
        "--template",
        help="swift's --template (default: chatml for the tiny model, "
        "whose tokenizer template the baseline uses; the model's own with --model)",
    )
    parser.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS of both runs (0: leave unset)")
    parser.add_argument("--python", default=sys.executable, help="interpreter of the swift env")
    parser.add_argument("--json", help="also write the results to this file")
    a = parser.parse_args()
    if a.template is None and a.model is None:
        a.template = "chatml"

    results: dict[str, list[dict]] = {"swift sft": [], "transformers+peft": []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model, rows = prepare(work, a.model, a.samples, a.max_length)
        for i in range(a.runs):
            order = [("swift sft", run_swift), ("transformers+peft", run_baseline)]
            for label, run in order if i % 2 == 0 else order[::-1]:
                results[label].append(run(a.python, model, rows, work / f"{label[:5]}-{i}", a))

    medians = {label: {p: statistics.median(r[p] for r in runs) for p in PHASES} for label, runs in results.items()}
    print(
        f"{a.samples} chats, LoRA r{LORA['lora_rank']}, {a.steps} steps, batch {a.batch_size}, "
        f"median of {a.runs} runs; load average {os.getloadavg()[0]:.2f} (1 min) at the end"
    )
    print(f"{'phase (s)':<14}{'swift sft':>12}{'transformers+peft':>20}{'ratio':>9}")
    for p in PHASES:
        ours, base = medians["swift sft"][p], medians["transformers+peft"][p]
        ratio = f"{ours / base:.3f}x" if base > 0 else "-"
        print(f"{p:<14}{ours:>12.2f}{base:>20.2f}{ratio:>9}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"runs": results, "medians": medians, "loadavg": os.getloadavg()}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
