"""Fixtures for the swift-peft tests: a tiny offline model, a batch, and a training step."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def base_path(tiny_model_path):
    """The tiny Qwen3 checkpoint (2 layers, hidden 64) every test adapts."""
    return tiny_model_path


@pytest.fixture
def load_base(base_path):
    """``load_base()`` → a fresh float32 copy of the tiny model from disk."""
    from transformers import AutoModelForCausalLM

    return lambda: AutoModelForCausalLM.from_pretrained(base_path, dtype=torch.float32)


@pytest.fixture
def make_args(base_path):
    """``make_args(**flags)`` → real ``TrainArguments`` for the tiny model."""
    from swift.arguments import TrainArguments

    def make(**flags):
        return TrainArguments(model=str(base_path), dataset=["unused.jsonl"], **flags)

    return make


@pytest.fixture(scope="session")
def batch(base_path):
    """Two padded sentences with labels (padding ignored by the loss)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_path)
    enc = tokenizer(
        [
            "The model learns to answer the question.",
            "Hello swift, please write code for me today.",
        ],
        padding=True,
        return_tensors="pt",
    )
    labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
    return {
        "input_ids": enc["input_ids"],
        "attention_mask": enc["attention_mask"],
        "labels": labels,
    }


@pytest.fixture
def logits_of(batch):
    """``logits_of(model)`` → eval-mode logits on the batch (no dropout, no grad)."""

    def run(model):
        model.eval()
        with torch.no_grad():
            return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.float()

    return run


@pytest.fixture
def train_step(batch):
    """``train_step(model, params=None, lr=1e-2, callback=None)`` → one AdamW step; returns the loss.

    ``params`` may be parameter groups (LoRA+); ``callback`` is a tuner's
    ``TrainerCallback``, whose ``on_optimizer_step`` runs where the Trainer runs it.
    """
    from transformers import TrainerControl, TrainerState

    def step(model, params=None, lr=1e-2, callback=None):
        model.train()
        params = params if params is not None else [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        if callback is not None:
            callback.on_optimizer_step(None, TrainerState(global_step=0), TrainerControl())
        optimizer.zero_grad()
        return loss.item()

    return step
