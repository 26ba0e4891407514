"""Fixtures of the `swift infer` tests: a training-run folder with a real LoRA checkpoint and data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")

QUESTIONS = (
    "hello",
    "who are you",
    "one plus two",
    "what is the weather today",
    "write code",
    "good bye",
)


def write_chat_jsonl(path: Path, n: int = len(QUESTIONS)) -> Path:
    """``n`` rows of {messages: [user, assistant]} (the assistant turn is the reference answer)."""
    rows = [
        {
            "messages": [
                {"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]},
                {"role": "assistant", "content": f"answer {i}"},
            ]
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def chat_data(tmp_path) -> Path:
    return write_chat_jsonl(tmp_path / "chat.jsonl")


@pytest.fixture(scope="session")
def training_run(tiny_model_path, tmp_path_factory) -> Path:
    """``run/args.json`` + ``run/checkpoint-1`` (a peft LoRA with non-zero weights) + ``run/data.jsonl``.

    The args.json names the base model, the template, the dataset and a 0.5 split,
    as `swift sft` would have written them.
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    run = tmp_path_factory.mktemp("output") / "v0-run"
    run.mkdir()
    data = write_chat_jsonl(run / "data.jsonl", 8)
    torch.manual_seed(2)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_path)
    config = LoraConfig(r=8, lora_alpha=64, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(run / "checkpoint-1")
    args = {
        "model": str(tiny_model_path),
        "template": "qwen3",
        "train_type": "lora",
        "dataset": [str(data)],
        "split_dataset_ratio": 0.5,
        "data_seed": 42,
        "system": None,
    }
    (run / "args.json").write_text(json.dumps(args), encoding="utf-8")
    return run


@pytest.fixture
def run_swift(swift_kernel, capsys):
    """``run_swift("infer", "--model", ...)`` → (exit code, stdout, stderr), in this process."""
    from swift.cli.main import main

    def run(*argv: str):
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
