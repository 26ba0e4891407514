"""Where a GRPO step's time goes: weight sync, generation, reward, log-probs, update.

Usage:
    python bench/grpo_step.py                       # tiny offline model, pt engine, CPU
    python bench/grpo_step.py --model /path/to/model --num_generations 8 --batch 8 \\
        --max_completion_length 256
    # a GPU machine with a rollout server (`swift rollout --model M --port 8000`):
    python bench/grpo_step.py --model M --use_vllm --vllm_server_host 127.0.0.1 \\
        --vllm_server_port 8000

It runs ``swift rlhf --rlhf_type grpo`` in-process (``rlhf_main``) on synthetic
"what is a plus b?" prompts scored by the built-in ``accuracy`` and ``format`` rewards,
reads the trainer's own per-round timings (``time/weight_sync``, ``time/generation``,
``time/reward``, ``time/logps``) from ``logging.jsonl`` and times every optimizer step
with a callback; ``update`` is the rest of the step (forward, backward, optimizer).
The first step is reported separately (warm-up) and left out of the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from transformers import TrainerCallback

PHASES = ("time/weight_sync", "time/generation", "time/reward", "time/logps")


class StepTimer(TrainerCallback):
    """Wall seconds of every optimizer step (``--callbacks __main__:StepTimer``)."""

    seconds: list[float] = []

    def on_step_begin(self, args, state, control, **kwargs):
        self._start = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        StepTimer.seconds.append(time.perf_counter() - self._start)


def write_prompts(path: Path, n: int) -> None:
    rng = random.Random(0)
    with path.open("w") as fh:
        for _ in range(n):
            a, b = rng.randint(1, 99), rng.randint(1, 99)
            row = {
                "messages": [{"role": "user", "content": f"What is {a} plus {b}? Answer in \\boxed{{}}."}],
                "solution": str(a + b),
            }
            fh.write(json.dumps(row) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model folder or id (default: a tiny offline Qwen3)")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--num_generations", type=int, default=8)
    parser.add_argument("--batch", type=int, default=8, help="per_device_train_batch_size")
    parser.add_argument("--grad_accum", type=int, default=1)
    parser.add_argument("--max_completion_length", type=int, default=64)
    parser.add_argument("--train_type", default="lora")
    parser.add_argument("--beta", type=float, default=0.04)
    parser.add_argument("--use_vllm", action="store_true")
    parser.add_argument("--vllm_mode", default="server", choices=("server", "colocate"))
    parser.add_argument("--vllm_server_host", default=None)
    parser.add_argument("--vllm_server_port", type=int, default=8000)
    parser.add_argument("--json", help="also write the figures to this file")
    opts = parser.parse_args(argv)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from swift.arguments import RLHFArguments
    from swift.llm import rlhf_main

    work = Path(tempfile.mkdtemp(prefix="grpo-bench-"))
    model = opts.model
    if model is None:
        from swift_sdk.tiny import build_tiny_model

        model = str(build_tiny_model(work / "tiny"))
    prompts_per_step = opts.batch * opts.grad_accum // opts.num_generations
    write_prompts(work / "prompts.jsonl", max(16, prompts_per_step * (opts.steps + 1)))
    args = RLHFArguments(
        model=model,
        rlhf_type="grpo",
        dataset=[str(work / "prompts.jsonl")],
        output_dir=str(work / "out"),
        train_type=opts.train_type,
        beta=opts.beta,
        reward_funcs=["accuracy", "format"],
        num_generations=opts.num_generations,
        per_device_train_batch_size=opts.batch,
        gradient_accumulation_steps=opts.grad_accum,
        max_completion_length=opts.max_completion_length,
        max_steps=opts.steps,
        save_strategy="no",
        logging_steps=1,
        report_to=["none"],
        split_dataset_ratio=0.0,
        callbacks=["__main__:StepTimer"],
        use_vllm=opts.use_vllm,
        vllm_mode=opts.vllm_mode,
        vllm_server_host=opts.vllm_server_host,
        vllm_server_port=opts.vllm_server_port,
    )
    started = time.perf_counter()
    result = rlhf_main(args)
    total = time.perf_counter() - started

    logs = [r for r in result["log_history"] if "loss" in r]
    rows = []
    for log, step_seconds in zip(logs, StepTimer.seconds):
        phases = {p.split("/")[1]: log.get(p, 0.0) for p in PHASES}
        phases["update"] = step_seconds - sum(phases.values())
        phases["step"] = step_seconds
        rows.append(phases)
    steady = rows[1:] or rows
    median = {k: statistics.median(r[k] for r in steady) for k in rows[0]}
    figures = {
        "model": model if opts.model else "tiny qwen3 (swift_sdk.tiny)",
        "engine": ("vllm " + opts.vllm_mode) if opts.use_vllm else "pt (transformers)",
        "completions_per_step": opts.batch * opts.grad_accum,
        "max_completion_length": opts.max_completion_length,
        "first_step": rows[0],
        "median_seconds": median,
        "median_share": {k: v / median["step"] for k, v in median.items() if k != "step"},
        "mean_completion_length": statistics.mean(r["completions/mean_length"] for r in logs),
        "run_seconds_including_load": total,
    }
    print(
        f"\nGRPO step on {figures['model']} with the {figures['engine']} engine, "
        f"{figures['completions_per_step']} completions/step (median of {len(steady)} steps)"
    )
    for key, value in median.items():
        share = f"{100 * value / median['step']:5.1f}%" if key != "step" else ""
        print(f"  {key:12s} {value * 1000:9.1f} ms  {share}")
    if opts.json:
        Path(opts.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
