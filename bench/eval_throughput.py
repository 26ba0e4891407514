"""`swift eval` against lm-eval's own `hf` backend: the same multiple-choice rows and model, same run.

Usage:
    python bench/eval_throughput.py [--model DIR] [--rows 500] [--choices 4] [--concurrency 16]
                                    [--batch-size 16] [--json OUT]

Without ``--model`` a tiny offline Qwen3 is built (``swift_sdk.tiny``). ``--rows`` synthetic
multiple-choice rows are written to a jsonl file; then, in this process and one after the other:

* ``swift eval`` — ``swift_eval.run.eval_main``: the model served in-process by swift deploy's
  app (pt engine, ``--max_batch_size 64``), lm-eval's ``local-completions`` sending
  ``--concurrency`` requests at a time (token-id prompts, echo + logprobs);
* lm-eval ``hf`` — ``simple_evaluate(model="hf", batch_size=--batch-size)`` on the same task
  config, the model loaded by lm-eval itself.

Reported: wall seconds of each (model loading included in both), log-likelihood requests/s
(rows × choices / seconds), the accuracy of each (they must agree) and swift/hf.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time

WORDS = "red blue green apple river stone cloud seven table music light paper dog cat sun moon".split()


def write_rows(path: str, rows: int, choices: int, seed: int = 0) -> None:
    """``rows`` multiple-choice rows of random words."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for _ in range(rows):
            question = " ".join(rng.choices(WORDS, k=rng.randint(6, 14))) + "?"
            options = [" ".join(rng.choices(WORDS, k=rng.randint(1, 3))) for _ in range(choices)]
            fh.write(json.dumps({"question": question, "choices": options, "answer": rng.randrange(choices)}) + "\n")


def run_swift_eval(model: str, data: str, out: str, concurrency: int) -> tuple[float, float]:
    """(seconds, acc) of ``swift eval`` on ``data``."""
    from swift_eval.run import eval_main

    from swift.arguments import EvalArguments

    args = EvalArguments(
        model=model, eval_dataset=[data], eval_output_dir=out, eval_num_proc=concurrency, max_batch_size=64
    )
    start = time.perf_counter()
    summary = eval_main(args)
    seconds = time.perf_counter() - start
    task = os.path.splitext(os.path.basename(data))[0]
    return seconds, summary["results"][task]["acc,none"]


def run_lm_eval_hf(model: str, data: str, batch_size: int) -> tuple[float, float]:
    """(seconds, acc) of lm-eval's ``hf`` backend on the same task config."""
    from lm_eval import simple_evaluate
    from swift_eval.tasks import local_task

    task = local_task(data)
    task.write(tempfile.mkdtemp())
    start = time.perf_counter()
    out = simple_evaluate(
        model="hf",
        model_args={"pretrained": model, "device": "cpu", "dtype": "float32"},
        tasks=[task.config],
        batch_size=batch_size,
        log_samples=False,
    )
    seconds = time.perf_counter() - start
    return seconds, out["results"][task.name]["acc,none"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model folder (default: a tiny offline Qwen3)")
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--choices", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(var, "1")
    work = tempfile.mkdtemp()
    model = args.model
    if model is None:
        from swift_sdk.tiny import build_tiny_model

        model = str(build_tiny_model(os.path.join(work, "tiny-qwen3")))
    data = os.path.join(work, "mc_bench.jsonl")
    write_rows(data, args.rows, args.choices)
    requests = args.rows * args.choices
    swift_s, swift_acc = run_swift_eval(model, data, os.path.join(work, "eval_output"), args.concurrency)
    hf_s, hf_acc = run_lm_eval_hf(model, data, args.batch_size)
    result = {
        "model": model,
        "rows": args.rows,
        "loglikelihood_requests": requests,
        "swift_eval": {"seconds": swift_s, "req_s": requests / swift_s, "acc": swift_acc},
        "lm_eval_hf": {"seconds": hf_s, "req_s": requests / hf_s, "acc": hf_acc},
        "swift_over_hf": hf_s / swift_s,
    }
    print(
        f"{args.rows} rows × {args.choices} choices = {requests} log-likelihood requests, model {model}\n"
        f"swift eval : {swift_s:7.1f} s  {requests / swift_s:8.1f} req/s  acc {swift_acc:.4f}\n"
        f"lm-eval hf : {hf_s:7.1f} s  {requests / hf_s:8.1f} req/s  acc {hf_acc:.4f}\n"
        f"swift/hf speed: {hf_s / swift_s:.2f}x"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
