"""Per-step overhead of swift's trainer over transformers' ``Trainer``: same model, same batch.

Usage:
    python bench/step_overhead.py [--steps 300] [--repeats 5] [--threads 1] [--json OUT]

One tiny LoRA model (the SDK's tiny Qwen3, hidden 64) and one padded batch of 4 chats are
trained for ``--steps`` optimizer steps by each trainer in turn, ``--repeats`` times, in this
process: transformers ``Trainer`` (the baseline), ``SwiftTrainer`` with the model's own loss
(``--loss_chunk_size 0``) and ``SwiftTrainer`` as ``swift sft`` builds it (chunked loss). What is
timed is ``trainer.training_step`` plus the optimizer step — the part a run repeats — with the
accuracy counting and logging hooks of each trainer active. CPU seconds (``process_time``) are
reported besides wall time; the median over repeats is compared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def _batch(tokenizer, template):
    from swift_transformers.train.collator import PaddingCollator

    chats = [("what is 2 plus 3?", "2 plus 3 is 5."), ("hi", "hello, how can I help?")] * 2
    rows = [
        template.encode({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]})
        for q, a in chats
    ]
    return PaddingCollator(tokenizer.pad_token_id)(rows)


def _trainer(kind: str, model_dir: str, work: str):
    from swift_transformers.train.trainer import SwiftTrainer
    from transformers import AutoModelForCausalLM, Seq2SeqTrainingArguments, Trainer

    from swift.arguments import TrainArguments
    from swift.contracts import load_tuner

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    args = TrainArguments(model=model_dir, lora_dropout=0.0)
    model = load_tuner("lora").prepare(model, args)
    hf = Seq2SeqTrainingArguments(output_dir=work, report_to=[], learning_rate=1e-4, use_cpu=True, disable_tqdm=True)
    if kind == "transformers":
        trainer = Trainer(model=model, args=hf)
    else:
        chunk = 0 if kind == "swift (model loss)" else args.loss_chunk_size
        trainer = SwiftTrainer(model=model, args=hf, tuner=load_tuner("lora"), loss_chunk_size=chunk)
    trainer.create_optimizer_and_scheduler(num_training_steps=10**6)
    trainer.current_gradient_accumulation_steps = 1  # set by the training loop, which is not run here
    return trainer


def _time(trainer, batch, steps: int) -> tuple[float, float]:
    model = trainer.model.train()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        trainer.training_step(model, dict(batch))
        trainer.optimizer.step()
        trainer.optimizer.zero_grad()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json")
    o = p.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoTokenizer

    from swift.template import get_template
    from swift_sdk.tiny import build_tiny_model

    torch.set_num_threads(o.threads)
    work = tempfile.mkdtemp(prefix="step-overhead-")
    model_dir = str(build_tiny_model(Path(work) / "tiny", "qwen3"))
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    batch = _batch(tokenizer, get_template("qwen3", tokenizer))
    kinds = ("transformers", "swift (model loss)", "swift (chunked loss)")
    trainers = {k: _trainer(k, model_dir, work) for k in kinds}
    for trainer in trainers.values():
        _time(trainer, batch, 10)  # warm-up
    results: dict[str, dict[str, list[float]]] = {k: {"wall": [], "cpu": []} for k in kinds}
    for _ in range(o.repeats):
        for kind, trainer in trainers.items():  # interleaved, so load drift hits all alike
            wall, cpu = _time(trainer, batch, o.steps)
            results[kind]["wall"].append(wall / o.steps * 1e3)
            results[kind]["cpu"].append(cpu / o.steps * 1e3)
    base = {m: statistics.median(results["transformers"][m]) for m in ("wall", "cpu")}
    print(f"{'trainer':<24}{'ms/step wall':>14}{'ms/step CPU':>14}{'wall ratio':>12}{'CPU ratio':>12}")
    summary = {}
    for kind in kinds:
        wall, cpu = statistics.median(results[kind]["wall"]), statistics.median(results[kind]["cpu"])
        summary[kind] = {
            "wall_ms": wall,
            "cpu_ms": cpu,
            "wall_ratio": wall / base["wall"],
            "cpu_ratio": cpu / base["cpu"],
        }
        print(f"{kind:<24}{wall:>14.3f}{cpu:>14.3f}{wall / base['wall']:>11.3f}x{cpu / base['cpu']:>11.3f}x")
    print(f"(batch {tuple(batch['input_ids'].shape)}, {o.steps} steps x {o.repeats}, load {os.getloadavg()[0]:.2f})")
    if o.json:
        Path(o.json).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
