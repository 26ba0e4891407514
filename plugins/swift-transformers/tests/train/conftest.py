"""Fixtures of the trainer tests: small chat/text datasets and a one-call training helper."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest


def write_chats(path: Path, n: int = 32, seed: int = 0) -> Path:
    """``n`` short single-turn chats (simple sums), one JSON object per line."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(n):
            a, b = rng.randint(1, 9), rng.randint(1, 9)
            messages = [
                {"role": "user", "content": f"what is {a} plus {b}?"},
                {"role": "assistant", "content": f"{a} plus {b} equals {a + b}."},
            ]
            fh.write(json.dumps({"messages": messages}) + "\n")
    return path


@pytest.fixture(scope="session")
def chat_file(tmp_path_factory) -> str:
    """32 short chats in a jsonl file."""
    return str(write_chats(tmp_path_factory.mktemp("data") / "chats.jsonl"))


@pytest.fixture(scope="session")
def text_file(tmp_path_factory) -> str:
    """Plain-text rows (``{"text": ...}``) for ``swift pt``."""
    from swift_sdk.tiny import training_text

    path = tmp_path_factory.mktemp("data") / "text.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for line in training_text(40, seed=1):
            fh.write(json.dumps({"text": line}) + "\n")
    return str(path)


def _read_logs(run_dir: str | Path) -> list[dict]:
    lines = (Path(run_dir) / "logging.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture
def read_logs():
    """``read_logs(run_dir)``: every line of ``logging.jsonl`` (each must be valid JSON)."""
    return _read_logs


@pytest.fixture
def loss_logs():
    """``loss_logs(run_dir)``: the training log events (those with a ``loss``), in order."""
    return lambda run_dir: [r for r in _read_logs(run_dir) if "loss" in r]


@pytest.fixture
def train_args(tiny_model_dir, chat_file, tmp_path):
    """``train_args(**overrides)`` → ``TrainArguments`` for a short LoRA run on the tiny model."""
    from swift.arguments import TrainArguments

    def make(cls=TrainArguments, **overrides):
        values = dict(
            model=tiny_model_dir,
            dataset=[chat_file],
            output_dir=str(tmp_path / "output"),
            max_steps=4,
            learning_rate=5e-3,
            logging_steps=1,
            save_steps=4,
            split_dataset_ratio=0.0,
            per_device_train_batch_size=2,
            lora_dropout=0.0,
        )
        values.update(overrides)
        return cls(**values)

    return make


@pytest.fixture
def sft():
    """``sft(args)`` → the summary, run through the same code as ``swift sft``."""
    from swift.llm import sft_main

    return sft_main
