"""`swift eval` against lm-eval's own `hf` backend: the same multiple-choice rows and model, same run.

Usage:
    python bench/eval_throughput.py [--model DIR] [--rows 500] [--choices 4] [--concurrency 16]
                                    [--batch-size 1 16] [--hidden-size 64] [--layers 2] [--json OUT]

Without ``--model`` an offline Qwen3 of random weights is built (``swift_sdk.tiny``; 64 wide and
2 layers deep by default: then the run is all overhead; ``--hidden-size 512 --layers 8`` gives the
model's forward passes a share of the time, as on a real model). ``--rows`` synthetic
multiple-choice rows are written to a jsonl file; then, in this process and one after the other:

* ``swift eval`` — ``swift_eval.run.eval_main``: the model served in-process by swift deploy's
  app (pt engine, ``--max_batch_size 64``), lm-eval's ``local-completions`` sending
  ``--concurrency`` requests at a time (token-id prompts, echo + logprobs);
* lm-eval ``hf`` — ``simple_evaluate(model="hf", batch_size=B)`` for each ``--batch-size`` B
  (default 1, lm-eval's own default, and 16) on the same task config, the model loaded by lm-eval itself.

Reported: wall seconds of each (model loading and lm-eval's task setup included in both), the
seconds of the log-likelihood phase alone (lm-eval's ``loglikelihood`` call: requests sent and
scored), log-likelihood requests/s over each (rows × choices / seconds), the accuracy of each (they
must agree) and swift/hf for both.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time

# seconds spent inside lm-eval's loglikelihood(): the request phase, whatever the backend
PHASE: list[float] = []


def time_loglikelihood() -> None:
    """Accumulate the seconds of every ``TemplateLM.loglikelihood`` call (hf and API models share it) in PHASE."""
    from lm_eval.api.model import TemplateLM

    original = TemplateLM.loglikelihood

    def timed(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            PHASE.append(time.perf_counter() - start)

    TemplateLM.loglikelihood = timed


WORDS = "red blue green apple river stone cloud seven table music light paper dog cat sun moon".split()


def write_rows(path: str, rows: int, choices: int, seed: int = 0) -> None:
    """``rows`` multiple-choice rows of random words."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for _ in range(rows):
            question = " ".join(rng.choices(WORDS, k=rng.randint(6, 14))) + "?"
            options = [" ".join(rng.choices(WORDS, k=rng.randint(1, 3))) for _ in range(choices)]
            fh.write(json.dumps({"question": question, "choices": options, "answer": rng.randrange(choices)}) + "\n")


def run_swift_eval(model: str, data: str, out: str, concurrency: int) -> tuple[float, float, float]:
    """(seconds, request-phase seconds, acc) of ``swift eval`` on ``data``."""
    from swift_eval.run import eval_main

    from swift.arguments import EvalArguments

    args = EvalArguments(
        model=model, eval_dataset=[data], eval_output_dir=out, eval_num_proc=concurrency, max_batch_size=64
    )
    PHASE.clear()
    start = time.perf_counter()
    summary = eval_main(args)
    seconds = time.perf_counter() - start
    task = os.path.splitext(os.path.basename(data))[0]
    return seconds, sum(PHASE), summary["results"][task]["acc,none"]


def run_lm_eval_hf(model: str, data: str, batch_size: int) -> tuple[float, float, float]:
    """(seconds, request-phase seconds, acc) of lm-eval's ``hf`` backend on the same task config."""
    from lm_eval import simple_evaluate
    from swift_eval.tasks import local_task

    task = local_task(data)
    task.write(tempfile.mkdtemp())
    PHASE.clear()
    start = time.perf_counter()
    out = simple_evaluate(
        model="hf",
        model_args={"pretrained": model, "device": "cpu", "dtype": "float32"},
        tasks=[task.config],
        batch_size=batch_size,
        log_samples=False,
    )
    seconds = time.perf_counter() - start
    return seconds, sum(PHASE), out["results"][task.name]["acc,none"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model folder (default: a tiny offline Qwen3)")
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--choices", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--batch-size", type=int, nargs="+", default=[1, 16], help="lm-eval hf batch sizes (1 is lm-eval's default)"
    )
    parser.add_argument("--hidden-size", type=int, default=64, help="width of the built model")
    parser.add_argument("--layers", type=int, default=2, help="decoder layers of the built model")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(var, "1")
    work = tempfile.mkdtemp()
    model = args.model
    if model is None:
        from swift_sdk.tiny import build_tiny_model

        model = str(
            build_tiny_model(
                os.path.join(work, f"qwen3-h{args.hidden_size}-l{args.layers}"),
                hidden_size=args.hidden_size,
                num_layers=args.layers,
                num_heads=max(4, args.hidden_size // 64),
                num_kv_heads=max(2, args.hidden_size // 128),
            )
        )
    data = os.path.join(work, "mc_bench.jsonl")
    write_rows(data, args.rows, args.choices)
    requests = args.rows * args.choices
    time_loglikelihood()
    runs = {"swift eval": run_swift_eval(model, data, os.path.join(work, "eval_output"), args.concurrency)}
    for batch_size in args.batch_size:
        runs[f"lm-eval hf bs{batch_size}"] = run_lm_eval_hf(model, data, batch_size)
    swift_s, swift_phase, _ = runs["swift eval"]
    result = {
        "model": model,
        "rows": args.rows,
        "loglikelihood_requests": requests,
        "runs": {
            name: {
                "seconds": s,
                "phase_seconds": p,
                "acc": acc,
                "swift_speedup": s / swift_s,
                "swift_phase_speedup": p / swift_phase,
            }
            for name, (s, p, acc) in runs.items()
        },
    }
    lines = [
        f"{args.rows} rows × {args.choices} choices = {requests} log-likelihood requests, model {model}",
        f"{'':16} wall s   req/s | loglikelihood s   req/s | acc    | swift speed-up: wall  phase",
    ]
    for name, (s, p, acc) in runs.items():
        lines.append(
            f"{name:16} {s:6.1f} {requests / s:7.1f} | {p:15.1f} {requests / p:7.1f} | {acc:.4f} "
            f"| {s / swift_s:18.2f}x {p / swift_phase:5.2f}x"
        )
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
