"""Training tokens/s and peak memory: swift's sft path vs plain transformers+peft, same run.

Usage (GPU):
    python bench/train_gpu.py [--cases lora-1.5b lora-7b full-0.5b] [--steps 30] [--warmup 5]
                              [--packing | --padding_free] [--baseline_packed] [--use_liger] [--no_checkpointing]
                              [--activation_offloading [--offload_layers K]] [--fp8] [--sides swift] [--profile N]
                              [--loss_chunk_size N] [--work DIR] [--json OUT]
CPU smoke test (tiny shape, 3 steps, float32):
    python bench/train_gpu.py --smoke

Models are random-init Qwen2.5 *shapes* (config dicts below, Llama modules with q/k/v
biases; no hub download) saved to
``--work`` once, with a word-level tokenizer whose words ``w<N>`` are exactly one token
each, so that the synthetic chats are random token rows of known length through the real
chat template (chatml). Settings on GPU: bf16, sdpa, seq 2048, micro-batch 4, no gradient
accumulation, gradient checkpointing; LoRA r8/alpha 32 on all linear layers, or full.
Each case runs in fresh processes, one per side:

* swift: ``sft_main(TrainArguments(...))`` — the ``swift sft`` path (model loading,
  template encoding, ``--packing``, tuner, ``SwiftTrainer``);
* baseline: transformers ``Trainer`` + ``peft.get_peft_model``, samples tokenized with
  ``apply_chat_template`` (assistant masks), padded to the longest of the batch (the goal's
  "padded baseline" for ``--packing``/``--padding_free`` too); with ``--baseline_packed``
  hand-packed into 2048-token rows with restarting ``position_ids`` and no mask (fast, but its
  samples attend across each other: an upper bound, not a correct run).

``--use_liger`` turns on liger-kernel on the swift side only (``--use_liger_kernel``), so the
ratio reads against plain transformers+peft; so does ``--activation_offloading`` (the first
``--offload_layers`` decoder layers, default all but the last, keep their saved tensors in host
memory instead of being recomputed) and ``--fp8`` (``--quant_method fp8``: LoRA over FP8 base
weights). ``--sides swift`` skips the baseline (a variant of a case
whose baseline an earlier line of the same run measured).

Data: every row exactly 2048 tokens; with ``--packing`` (or ``--lengths mix``) a realistic
length mix (log-normal, median ~270 tokens). tokens/s counts non-padding tokens
(``include_num_input_tokens_seen="non_padding"``) over the steps after ``--warmup``;
peak memory is ``torch.cuda.max_memory_allocated`` (reserved in brackets).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from transformers import TrainerCallback

# Llama modules with Qwen2's q/k/v biases (o_proj gets one too): a "qwen2" config makes
# AutoTokenizer swap the synthetic word-level tokenizer for Qwen2Tokenizer, breaking the rows.
_COMMON = {
    "model_type": "llama",
    "attention_bias": True,
    "max_position_embeddings": 32768,
    "rope_theta": 1e6,
    "rms_norm_eps": 1e-6,
    "hidden_act": "silu",
    "use_cache": False,
}
SHAPES = {  # Qwen2.5 shapes (hidden, MLP, layers, heads, kv heads, vocab, tied embeddings)
    "0.5b": dict(
        hidden_size=896,
        intermediate_size=4864,
        num_hidden_layers=24,
        num_attention_heads=14,
        num_key_value_heads=2,
        vocab_size=151936,
        tie_word_embeddings=True,
    ),
    "1.5b": dict(
        hidden_size=1536,
        intermediate_size=8960,
        num_hidden_layers=28,
        num_attention_heads=12,
        num_key_value_heads=2,
        vocab_size=151936,
        tie_word_embeddings=True,
    ),
    "7b": dict(
        hidden_size=3584,
        intermediate_size=18944,
        num_hidden_layers=28,
        num_attention_heads=28,
        num_key_value_heads=4,
        vocab_size=152064,
        tie_word_embeddings=False,
    ),
    "tiny": dict(
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=2048,
        tie_word_embeddings=False,
    ),
}
CASES = {
    "lora-1.5b": ("1.5b", "lora"),
    "lora-7b": ("7b", "lora"),
    "full-0.5b": ("0.5b", "full"),
    "full-1.5b": ("1.5b", "full"),
    "lora-tiny": ("tiny", "lora"),
}
SPECIAL = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "[UNK]", "user", "assistant", "system")
CHILD = {"swift": "swift", "transformers+peft": "hf"}
CHAT_MARKUP = 6  # <|im_start|> user … <|im_end|> <|im_start|> assistant … <|im_end|>


class StepTimer(TrainerCallback):
    """(time, non-padding tokens seen) after every optimizer step."""

    marks: list[tuple[float, int]] = []

    def on_step_end(self, args, state, control, **kwargs):
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()  # steps are queued asynchronously: time their completion
        StepTimer.marks.append((time.perf_counter(), int(state.num_input_tokens_seen)))


class StepProfiler(TrainerCallback):
    """``--profile N``: torch.profiler over N steps after the warm-up; the ops taking the most time, as a table."""

    start, steps, out = 0, 0, ""  # set by the child process before training
    _profile = None

    def on_step_begin(self, args, state, control, **kwargs):
        import torch
        from torch.profiler import ProfilerActivity, profile

        if StepProfiler.steps and StepProfiler._profile is None and state.global_step == StepProfiler.start:
            activities = [ProfilerActivity.CPU] + [ProfilerActivity.CUDA] * torch.cuda.is_available()
            StepProfiler._profile = profile(activities=activities)
            StepProfiler._profile.__enter__()

    def on_step_end(self, args, state, control, **kwargs):
        import torch

        if StepProfiler._profile is None or state.global_step < StepProfiler.start + StepProfiler.steps:
            return
        gpu = torch.cuda.is_available()
        if gpu:
            torch.cuda.synchronize()
        StepProfiler._profile.__exit__(None, None, None)
        key = "self_cuda_time_total" if gpu else "self_cpu_time_total"
        Path(StepProfiler.out).write_text(StepProfiler._profile.key_averages().table(sort_by=key, row_limit=30))
        StepProfiler._profile = None


def build_model(shape: str, path: Path, dtype: str) -> None:
    """Random-init ``shape`` and a word-level tokenizer, saved to ``path``."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import AutoConfig, AutoModelForCausalLM, PreTrainedTokenizerFast

    from swift_sdk.tiny import CHATML_TEMPLATE

    size = SHAPES[shape]["vocab_size"]
    vocab = {w: i for i, w in enumerate(SPECIAL)} | {f"w{i}": i for i in range(len(SPECIAL), size)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="[UNK]",
        additional_special_tokens=["<|im_start|>"],
    )
    fast.chat_template = CHATML_TEMPLATE
    config = AutoConfig.for_model(**_COMMON, **SHAPES[shape], bos_token_id=0, eos_token_id=2, pad_token_id=0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.save_pretrained(path)
    fast.save_pretrained(path)
    cfg_file = path / "tokenizer_config.json"  # keep our class: qwen2 would pick Qwen2Tokenizer
    cfg = json.loads(cfg_file.read_text())
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    cfg_file.write_text(json.dumps(cfg))


def write_rows(path: Path, vocab: int, n: int, seq: int, mix: bool, seed: int = 0) -> None:
    """Chats of random words: exactly ``seq`` tokens each, or a log-normal mix (median ~270)."""
    rng = random.Random(seed)
    with path.open("w") as fh:
        for _ in range(n):
            total = min(seq, max(32, int(rng.lognormvariate(5.6, 0.8)))) if mix else seq
            words = [f"w{rng.randrange(len(SPECIAL), vocab)}" for _ in range(total - CHAT_MARKUP)]
            cut = len(words) // 4  # a quarter prompt, the rest the trained answer
            fh.write(
                json.dumps(
                    {
                        "messages": [
                            {"role": "user", "content": " ".join(words[:cut])},
                            {"role": "assistant", "content": " ".join(words[cut:])},
                        ]
                    }
                )
                + "\n"
            )


def check_rows(model_dir: Path, data: Path, seq: int, mix: bool) -> None:
    """Stop unless the first row tokenizes to the intended length (one token per word)."""
    from transformers import AutoTokenizer

    row = json.loads(data.open().readline())["messages"]
    ids = AutoTokenizer.from_pretrained(model_dir).apply_chat_template(row, tokenize=True, return_dict=True)
    expected = sum(len(m["content"].split()) for m in row) + CHAT_MARKUP
    if len(ids["input_ids"]) != expected or (not mix and expected != seq):
        raise SystemExit(f"{data}: a row has {len(ids['input_ids'])} tokens, expected {expected}")


def param_count(model_dir: Path) -> int:
    """Parameters of the saved model (built on the meta device: no memory, no time)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(model_dir))
    return sum(p.numel() for p in model.parameters())


def mfu(tokens_s: float, params: int, peak_tflops: float) -> float:
    """Model FLOPs utilisation: 6 FLOPs per parameter per token (forward + backward) over the chip's peak.

    The usual estimate (attention's own FLOPs left out, so it reads low for long rows); LoRA runs the
    same forward and activation backward as full training, so the same formula is used for both.
    """
    return tokens_s * 6 * params / (peak_tflops * 1e12)


def _settings(o: argparse.Namespace) -> dict:
    import torch

    gpu = torch.cuda.is_available()
    return {
        "dtype": "bfloat16" if gpu else "float32",
        "bf16": gpu,
        "checkpointing": (gpu or o.smoke) and o.checkpointing,
    }


def run_swift(o: argparse.Namespace, train_type: str, out: str) -> None:
    """The ``swift sft`` path in this process (``sft_main``)."""
    from swift.arguments import TrainArguments
    from swift.llm import sft_main

    s = _settings(o)
    sft_main(
        TrainArguments(
            model=o.model_dir,
            template="chatml",
            dataset=[o.data],
            train_type=train_type,
            torch_dtype=s["dtype"],
            attn_impl="sdpa",
            max_length=o.seq,
            packing=o.packing,
            padding_free=o.padding_free,
            loss_chunk_size=o.loss_chunk_size,
            use_liger_kernel=o.use_liger,
            activation_offloading=o.activation_offloading,
            quant_method="fp8" if o.fp8 else None,
            activation_offloading_layers=o.offload_layers,
            per_device_train_batch_size=o.batch,
            gradient_accumulation_steps=1,
            gradient_checkpointing=s["checkpointing"],
            learning_rate=1e-4,
            lora_rank=8,
            lora_alpha=32,
            lora_dropout=0.05,
            target_modules=["all-linear"],
            max_steps=o.steps,
            save_strategy="no",
            logging_steps=10,
            report_to=["none"],
            split_dataset_ratio=0.0,
            seed=42,
            output_dir=out,
            dataloader_num_workers=0,
            include_num_input_tokens_seen="non_padding",
            callbacks=["__main__:StepTimer", "__main__:StepProfiler"],
        )
    )


def run_baseline(o: argparse.Namespace, train_type: str, out: str) -> None:
    """The same run with transformers ``Trainer`` + peft, written by hand."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer, TrainingArguments

    s = _settings(o)
    tok = AutoTokenizer.from_pretrained(o.model_dir)
    model = AutoModelForCausalLM.from_pretrained(
        o.model_dir, dtype=getattr(torch, s["dtype"]), attn_implementation="sdpa"
    )
    samples = []
    for line in open(o.data):
        enc = tok.apply_chat_template(
            json.loads(line)["messages"], tokenize=True, return_dict=True, return_assistant_tokens_mask=True
        )
        ids = list(enc["input_ids"])
        samples.append({"input_ids": ids, "labels": [t if m else -100 for t, m in zip(ids, enc["assistant_masks"])]})
    if o.baseline_packed:  # first-fit decreasing into rows of o.seq; positions restart per sample
        rows: list[dict] = []
        for smp in sorted(samples, key=lambda r: -len(r["input_ids"])):
            row = next((r for r in rows if len(r["input_ids"]) + len(smp["input_ids"]) <= o.seq), None)
            if row is None:
                rows.append(row := {"input_ids": [], "labels": [], "position_ids": []})
            row["input_ids"] += smp["input_ids"]
            row["labels"] += [-100] + smp["labels"][1:]
            row["position_ids"] += list(range(len(smp["input_ids"])))
        samples = rows

    def collate(batch):
        width = max(len(r["input_ids"]) for r in batch)
        pad = lambda seq, v: seq + [v] * (width - len(seq))  # noqa: E731
        out = {
            "input_ids": torch.tensor([pad(r["input_ids"], tok.pad_token_id) for r in batch]),
            "labels": torch.tensor([pad(r["labels"], -100) for r in batch]),
        }
        if o.baseline_packed:
            out["position_ids"] = torch.tensor([pad(r["position_ids"], 0) for r in batch])
        else:
            out["attention_mask"] = torch.tensor([pad([1] * len(r["input_ids"]), 0) for r in batch])
        return out

    torch.manual_seed(42)
    if train_type == "lora":
        model = get_peft_model(
            model, LoraConfig(r=8, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")
        )
    accepted = TrainingArguments.__dataclass_fields__
    ckpt = "activation_checkpointing" if "activation_checkpointing" in accepted else "gradient_checkpointing"
    args = TrainingArguments(
        output_dir=out,
        max_steps=o.steps,
        per_device_train_batch_size=o.batch,
        learning_rate=1e-4,
        lr_scheduler_type="cosine",
        weight_decay=0.1,
        logging_steps=10,
        save_strategy="no",
        report_to=[],
        seed=42,
        bf16=s["bf16"],
        use_cpu=not torch.cuda.is_available(),
        dataloader_pin_memory=False,
        remove_unused_columns=False,
        include_num_input_tokens_seen="non_padding",
        **{ckpt: s["checkpointing"]},
    )
    Trainer(
        model=model,
        args=args,
        train_dataset=samples,
        data_collator=collate,
        processing_class=tok,
        callbacks=[StepTimer(), StepProfiler()],
    ).train()


def child(o: argparse.Namespace) -> int:
    """One side of one case; writes tokens/s and peak memory to ``o.result``."""
    import torch

    shape, train_type = CASES[o.case]
    if o.child == "build":
        build_model(shape, Path(o.model_dir), "bfloat16" if torch.cuda.is_available() else "float32")
        return 0
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    StepProfiler.start, StepProfiler.steps, StepProfiler.out = o.warmup, o.profile, o.result + ".profile"
    with tempfile.TemporaryDirectory() as out:
        (run_swift if o.child == "swift" else run_baseline)(o, train_type, out)
    marks = StepTimer.marks[o.warmup :] if len(StepTimer.marks) > o.warmup + 1 else StepTimer.marks
    (t0, n0), (t1, n1) = marks[0], marks[-1]
    result = {"tokens_s": (n1 - n0) / (t1 - t0), "steps_timed": len(marks) - 1}
    if torch.cuda.is_available():
        result["peak_gib"] = torch.cuda.max_memory_allocated() / 2**30
        result["reserved_gib"] = torch.cuda.max_memory_reserved() / 2**30
    Path(o.result).write_text(json.dumps(result))
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", nargs="*", default=["lora-1.5b", "lora-7b", "full-0.5b"], choices=list(CASES))
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5, help="first steps left out of tokens/s")
    p.add_argument("--seq", type=int, default=2048)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--packing", action="store_true", help="length mix, packed into --seq rows")
    p.add_argument("--lengths", choices=("fixed", "mix"), help="default: mix with --packing or --padding_free")
    p.add_argument("--padding_free", action="store_true", help="swift side: --padding_free (the baseline stays padded)")
    p.add_argument("--baseline_packed", action="store_true", help="baseline: hand-packed rows (cross-sample attention)")
    p.add_argument(
        "--use_liger", action="store_true", help="swift side: --use_liger_kernel (needs liger-kernel, a GPU)"
    )
    p.add_argument("--loss_chunk_size", type=int, default=2048, help="swift side: 0 = the model's own loss")
    p.add_argument(
        "--activation_offloading", action="store_true", help="swift side: saved activations in host memory (CUDA)"
    )
    p.add_argument("--offload_layers", type=int, help="with --activation_offloading: the first K layers only")
    p.add_argument("--fp8", action="store_true", help="swift side: --quant_method fp8 (LoRA over FP8 base weights)")
    p.add_argument("--profile", type=int, default=0, help="torch.profiler over N steps after the warm-up (a table)")
    p.add_argument("--sides", nargs="+", default=list(CHILD), choices=list(CHILD), help="which sides to run")
    p.add_argument(
        "--no_checkpointing",
        dest="checkpointing",
        action="store_false",
        help="both sides without gradient checkpointing (measures what checkpointing costs and saves)",
    )
    p.add_argument("--smoke", action="store_true", help="CPU check: tiny shape, 3 steps")
    p.add_argument("--work", help="folder for the saved models (reused when present)")
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--peak_tflops", type=float, default=989.0, help="the GPU's dense bf16 peak (H100/H200 SXM: 989)")
    for hidden in ("--child", "--case", "--model-dir", "--data", "--result"):
        p.add_argument(hidden, help=argparse.SUPPRESS)
    o = p.parse_args()
    if o.smoke:
        o.cases, o.steps, o.warmup, o.seq = ["lora-tiny"], 3, 1, 256
    if o.child:
        return child(o)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    dtype = "bfloat16" if torch.cuda.is_available() else "float32"
    mix = (o.lengths or ("mix" if o.packing or o.padding_free else "fixed")) == "mix"
    work = Path(o.work or tempfile.mkdtemp(prefix="train-gpu-"))
    results: dict = {}
    for case in o.cases:
        shape, _ = CASES[case]
        model_dir = work / f"qwen2.5-{shape}-{dtype}"
        if not (model_dir / "config.json").exists():
            # in a child process: the caching allocator would keep the weights' GPU memory here
            subprocess.run(
                [
                    sys.executable,
                    os.path.abspath(__file__),
                    "--child",
                    "build",
                    "--case",
                    case,
                    "--model-dir",
                    str(model_dir),
                ],
                check=True,
            )
        data = work / f"rows-{'mix' if mix else 'fixed'}-{o.seq}-{case}.jsonl"
        n_rows = (o.steps + 2) * o.batch * (10 if mix else 1)
        write_rows(data, SHAPES[shape]["vocab_size"], n_rows, o.seq, mix)
        check_rows(model_dir, data, o.seq, mix)
        for side in o.sides:
            result = work / "result.json"
            argv = (
                [
                    sys.executable,
                    os.path.abspath(__file__),
                    "--child",
                    CHILD[side],
                    "--case",
                    case,
                    "--model-dir",
                    str(model_dir),
                    "--data",
                    str(data),
                    "--result",
                    str(result),
                    "--steps",
                    str(o.steps),
                    "--warmup",
                    str(o.warmup),
                    "--seq",
                    str(o.seq),
                    "--batch",
                    str(o.batch),
                ]
                + ["--packing"] * o.packing
                + ["--baseline_packed"] * o.baseline_packed
                + ["--use_liger"] * o.use_liger
            )
            argv += ["--padding_free"] * o.padding_free + ["--loss_chunk_size", str(o.loss_chunk_size)]
            argv += ["--smoke"] * o.smoke + ["--no_checkpointing"] * (not o.checkpointing)
            argv += ["--activation_offloading"] * o.activation_offloading + ["--profile", str(o.profile)]
            argv += ["--fp8"] * o.fp8
            argv += ["--offload_layers", str(o.offload_layers)] * (o.offload_layers is not None)
            env = dict(os.environ)
            if not torch.cuda.is_available():  # torch's spinning CPU threads thrash a shared machine
                env["OMP_NUM_THREADS"] = "1"
            proc = subprocess.run(argv, capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                raise SystemExit(f"{case} / {side} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
            results.setdefault(case, {})[side] = json.loads(result.read_text())
            entry = results[case][side]
            if torch.cuda.is_available():
                entry["mfu"] = mfu(entry["tokens_s"], param_count(model_dir), o.peak_tflops)
            # one JSON line per case and side, as it finishes (a run cut short keeps what it measured)
            layout = "packed" if o.packing else "padding-free" if o.padding_free else "padded"
            if side != "swift":
                layout = "hand-packed" if o.baseline_packed else "padded"
            line = {"case": case, "side": side, "layout": layout, "lengths": "mix" if mix else "fixed", **entry}
            if side == "swift" and o.use_liger:
                line["liger"] = True
            if side == "swift" and o.fp8:
                line["fp8"] = True
            if side == "swift" and o.activation_offloading:
                line["offloaded_layers"] = o.offload_layers or "all but the last"
            line["checkpointing"] = o.checkpointing
            if o.profile:
                line["profiled_steps"] = o.profile  # the profiler's overhead is in tokens_s
            print(json.dumps(line), flush=True)
            table = Path(str(result) + ".profile")
            if table.exists():
                print(f"--- profile: {case} / {side}, {o.profile} steps\n{table.read_text()}", flush=True)
                table.unlink()
    print(
        f"{'case':<12}{'side':<20}{'tokens/s':>10}{'peak GiB':>18}   "
        f"({'packed' if o.packing else 'padding-free' if o.padding_free else 'padded'}, {'length mix' if mix else f'rows of {o.seq}'}, "
        f"{o.steps} steps, load {os.getloadavg()[0]:.2f})"
    )
    for case, sides in results.items():
        for side, r in sides.items():
            mem = f"{r['peak_gib']:.1f} ({r['reserved_gib']:.1f})" if "peak_gib" in r else "-"
            print(f"{case:<12}{side:<20}{r['tokens_s']:>10.0f}{mem:>18}")
        if len(sides) < 2:
            continue
        ours, base = sides["swift"], sides["transformers+peft"]
        line = f"{'':<12}{'ratio swift/base':<20}{ours['tokens_s'] / base['tokens_s']:>9.3f}x"
        if "peak_gib" in ours:
            line += f"{ours['peak_gib'] / base['peak_gib']:>17.3f}x"
        print(line)
    if o.json:
        Path(o.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
