"""Generation tokens/s of the ``pt`` engine (``PtEngine``) vs plain ``model.generate``, same run.

Usage:
    python bench/engine_throughput.py [--model DIR] [--template chatml] [--device cpu|cuda]
                                      [--prompts 32] [--max-tokens 64] [--repeats 5] [--threads N]
                                      [--json OUT]

Without ``--model`` a tiny Qwen3 (hidden 128, 4 layers, head_dim 32) is built offline
(``swift_sdk.tiny``). The model is loaded once and shared by both sides, which answer
the same ``--prompts`` chat prompts greedily with ``--max-tokens`` new tokens:

* ``batch 1``: one prompt at a time — ``engine.infer([request])`` vs
  ``model.generate`` on that prompt alone;
* ``batch 32``: all prompts at once — ``engine.infer(requests)`` (``max_batch_size`` =
  the prompt count) vs one left-padded ``model.generate`` call;
* ``async 32``: every prompt as its own concurrent ``engine.infer_async`` call (the
  batching worker forms the batches) vs the same left-padded ``generate`` baseline.

The baseline does what a user of transformers would: ``apply_chat_template``,
``generate(do_sample=False)``, ``batch_decode``; both sides' timings include prompt
encoding and answer decoding. tokens/s counts each answer's tokens up to its end token
(the engine's ``usage.completion_tokens``). Medians over ``--repeats`` after one warm-up,
the two sides alternating call by call; ``ratio per CPU-s`` divides by this process's CPU
time instead of wall time (a busy machine disturbs it less; on a GPU use the wall ratio).
The answers of both sides are compared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from encode import make_rows  # noqa: E402  (the shared synthetic chat generator)


def make_prompts(n: int) -> list[list[dict]]:
    """``n`` chat prompts of varied length: synthetic rows up to their first user message."""
    prompts = []
    for row in make_rows(n, seed=1):
        first_user = next(i for i, m in enumerate(row["messages"]) if m["role"] == "user")
        prompts.append(row["messages"][: first_user + 1])
    return prompts


class Baseline:
    """Plain transformers: chat template, left-padded ``generate``, decode."""

    def __init__(self, model, tokenizer, max_tokens: int):
        self.model, self.tok, self.max_tokens = model, tokenizer, max_tokens
        self.eos = model.generation_config.eos_token_id or tokenizer.eos_token_id
        self.eos_ids = set(self.eos if isinstance(self.eos, list) else [self.eos])

    def __call__(self, prompts: list[list[dict]]) -> tuple[int, list[str]]:
        import torch

        self.tok.padding_side = "left"
        batch = self.tok.apply_chat_template(
            prompts, add_generation_prompt=True, tokenize=True, padding=True, return_dict=True, return_tensors="pt"
        )
        batch = {k: v.to(self.model.device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}
        with torch.inference_mode():
            out = self.model.generate(
                **batch,
                max_new_tokens=self.max_tokens,
                do_sample=False,
                pad_token_id=self.tok.pad_token_id,
                eos_token_id=self.eos,
            )
        tokens, answers = 0, []
        for row in out[:, batch["input_ids"].shape[1] :].tolist():
            end = next((i for i, t in enumerate(row) if t in self.eos_ids), None)
            row = row if end is None else row[: end + 1]
            tokens += len(row)
            answers.append(self.tok.decode(row, skip_special_tokens=True))
        return tokens, answers


def engine_sync(engine, config, prompts):
    """``engine.infer`` on all prompts in one call: (tokens, answers)."""
    from swift.protocol import InferRequest

    responses = engine.infer([InferRequest(messages=p) for p in prompts], config)
    return sum(r.usage.completion_tokens for r in responses), [r.choices[0].message.content for r in responses]


def engine_async(engine, config, prompts):
    """One concurrent ``infer_async`` call per prompt: (tokens, answers)."""
    from swift.protocol import InferRequest

    async def run():
        return await asyncio.gather(*(engine.infer_async(InferRequest(messages=p), config) for p in prompts))

    responses = asyncio.run(run())
    return sum(r.usage.completion_tokens for r in responses), [r.choices[0].message.content for r in responses]


def one_by_one(call, prompts):
    """``call`` on each prompt alone (batch 1): summed tokens, all answers."""
    tokens, answers = 0, []
    for p in prompts:
        n, a = call([p])
        tokens, answers = tokens + n, answers + a
    return tokens, answers


def measure_pair(ours_fn, base_fn, repeats: int) -> tuple[dict, dict]:
    """Both sides, alternating call by call so a load change on the machine hits both.

    One warm-up call each, then ``repeats`` timed calls; per side the wall and CPU
    seconds (``process_time``: every thread of this process, the engine's worker
    included), tokens/s over their medians, and the tokens and answers of the last call.
    """
    fns = (ours_fn, base_fn)
    sides: list[dict] = [{"seconds": [], "cpu_seconds": []} for _ in fns]
    for fn in fns:
        fn()
    for _ in range(repeats):
        for fn, side in zip(fns, sides):
            start, start_cpu = time.perf_counter(), time.process_time()
            side["tokens"], side["answers"] = fn()
            side["seconds"].append(time.perf_counter() - start)
            side["cpu_seconds"].append(time.process_time() - start_cpu)
    for side in sides:
        side["tokens_s"] = side["tokens"] / statistics.median(side["seconds"])
        side["tokens_cpu_s"] = side["tokens"] / statistics.median(side["cpu_seconds"])
    return sides[0], sides[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model folder; default: a tiny Qwen3 built offline")
    parser.add_argument("--template", default="chatml", help="swift template of the model")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default=None, help="default: bfloat16 on cuda, float32 on cpu")
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: 1 on cpu)")
    parser.add_argument("--json", help="also write the results to this file")
    a = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if a.threads or a.device == "cpu":
        # torch's CPU threads spin-wait: on a shared machine 2 threads ran 5-10x slower than 1.
        # The env var (read at import) also covers the engine's worker thread.
        os.environ["OMP_NUM_THREADS"] = str(a.threads or 1)

    import torch
    from swift_transformers.engine.pt import PtEngine
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from swift.protocol import InferRequest, RequestConfig
    from swift.template import get_template

    if a.threads or a.device == "cpu":
        torch.set_num_threads(a.threads or 1)

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = a.model
        if model_dir is None:
            from swift_sdk.tiny import build_tiny_model

            model_dir = str(
                build_tiny_model(os.path.join(tmp, "tiny"), hidden_size=128, num_layers=4, num_heads=4, num_kv_heads=2)
            )
        dtype = getattr(torch, a.dtype or ("bfloat16" if a.device.startswith("cuda") else "float32"))
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).to(a.device).eval()
    template = get_template(a.template, tokenizer)
    args = SimpleNamespace(model=model_dir, template=a.template, adapters=[], max_batch_size=a.prompts)
    engine = PtEngine(args, model=model, tokenizer=tokenizer, template=template, max_batch_size=a.prompts)
    config = RequestConfig(max_tokens=a.max_tokens, temperature=0)
    baseline = Baseline(model, tokenizer, a.max_tokens)
    prompts = make_prompts(a.prompts)
    n = len(prompts)

    same_ids = sum(
        engine.encode(InferRequest(messages=p))
        == tokenizer.apply_chat_template(p, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
        for p in prompts
    )
    cases = {  # case: (engine side, baseline side)
        "batch 1": (
            lambda: one_by_one(lambda ps: engine_sync(engine, config, ps), prompts),
            lambda: one_by_one(baseline, prompts),
        ),
        f"batch {n}": (lambda: engine_sync(engine, config, prompts), lambda: baseline(prompts)),
        f"async {n}": (lambda: engine_async(engine, config, prompts), lambda: baseline(prompts)),
    }
    results: dict = {"model": model_dir, "device": a.device, "prompt_ids_equal": f"{same_ids}/{n}"}
    print(
        f"{n} prompts, greedy, max_tokens {a.max_tokens}, {a.device}, median of {a.repeats}; "
        f"prompt ids equal (template vs apply_chat_template): {same_ids}/{n}"
    )
    print(f"{'case':<10}{'engine tok/s':>14}{'generate tok/s':>16}{'ratio':>9}{'ratio per CPU-s':>17}   answers equal")
    for case, (ours_fn, base_fn) in cases.items():
        ours, base = measure_pair(ours_fn, base_fn, a.repeats)
        equal = sum(x == y for x, y in zip(ours.pop("answers"), base.pop("answers")))
        ratio = ours["tokens_s"] / base["tokens_s"]
        ratio_cpu = ours["tokens_cpu_s"] / base["tokens_cpu_s"]
        print(
            f"{case:<10}{ours['tokens_s']:>14.0f}{base['tokens_s']:>16.0f}{ratio:>8.3f}x"
            f"{ratio_cpu:>16.3f}x   {equal}/{n}"
        )
        results[case] = {
            "engine": ours,
            "generate": base,
            "ratio": ratio,
            "ratio_cpu": ratio_cpu,
            "answers_equal": equal,
        }
    engine.close()
    print(f"load average {os.getloadavg()[0]:.2f} (1 min) at the end")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
