"""Trainer callbacks: ``logging.jsonl``, the save at the last step, tuner steps, LISA."""

from __future__ import annotations

import json
import math
import random
import time
from datetime import timedelta
from typing import Any

from transformers import TrainerCallback

LOGGING_FILE = "logging.jsonl"


def _duration(seconds: float) -> str:
    return str(timedelta(seconds=int(seconds)))


class JsonlLoggingCallback(TrainerCallback):
    """Append each log event as one JSON line to ``<run dir>/logging.jsonl`` (main process only).

    Besides what the Trainer logs, each line has ``global_step``, ``max_steps``,
    ``global_step/max_steps``, ``percentage``, ``elapsed_time`` and ``remaining_time``.
    """

    def __init__(self, path: str):
        self.path = path
        self._start = time.time()
        self._start_step = 0

    def on_train_begin(self, args, state, control, **kwargs):
        """Remember when (and at which step) training started, for the time estimates."""
        self._start, self._start_step = time.time(), state.global_step

    def on_log(self, args, state, control, logs=None, **kwargs):
        """Append the Trainer's log line, with progress and time estimates, to ``logging.jsonl``."""
        if not state.is_world_process_zero or not logs:
            return
        elapsed = time.time() - self._start
        done = state.global_step - self._start_step
        left = state.max_steps - state.global_step
        record: dict[str, Any] = {
            **logs,
            "global_step": state.global_step,
            "max_steps": state.max_steps,
        }
        record["global_step/max_steps"] = f"{state.global_step}/{state.max_steps}"
        if state.max_steps:
            record["percentage"] = f"{100 * state.global_step / state.max_steps:.2f}%"
        record["elapsed_time"] = _duration(elapsed)
        record["remaining_time"] = _duration(elapsed / done * left) if done else "?"
        append_jsonl(self.path, record)


def append_jsonl(path: str, record: dict[str, Any]) -> None:
    """Append one JSON object as a line (non-finite floats written as strings)."""
    clean = {k: (str(v) if isinstance(v, float) and not math.isfinite(v) else v) for k, v in record.items()}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(clean, ensure_ascii=False, default=str) + "\n")


def _strategy(value: Any) -> str:
    return str(getattr(value, "value", value))


class FinalStepCallback(TrainerCallback):
    """Save and evaluate at the last step, as ms-swift does: every run ends with a checkpoint.

    Without it a run whose step count is not a multiple of ``save_steps`` (or that saves
    per epoch and stops mid-epoch at ``max_steps``) would end with no model on disk.
    """

    def on_step_end(self, args, state, control, **kwargs):
        """Save and evaluate at the last step (when the strategies save or evaluate at all)."""
        if state.max_steps and state.global_step >= state.max_steps:
            if _strategy(args.save_strategy) != "no":
                control.should_save = True
            if _strategy(args.eval_strategy) != "no":
                control.should_evaluate = True
        return control


class LisaCallback(TrainerCallback):
    """LISA: train ``n_layers`` random decoder layers, drawn again every ``interval`` steps.

    Embeddings and the LM head stay trainable, as in the LISA paper; the other
    decoder layers are frozen (AdamW skips parameters without gradients).
    """

    def __init__(self, layers: list, n_layers: int, interval: int, seed: int = 0):
        self.layers, self.n_layers, self.interval = layers, n_layers, max(1, interval)
        self._rng = random.Random(seed)
        self.active: list[int] = []

    def switch(self) -> None:
        """Draw a new set of trainable layers."""
        k = min(self.n_layers, len(self.layers))
        self.active = sorted(self._rng.sample(range(len(self.layers)), k))
        for i, layer in enumerate(self.layers):
            for p in layer.parameters():
                p.requires_grad_(i in self.active)

    def on_train_begin(self, args, state, control, **kwargs):
        """Draw the first set of trainable layers."""
        self.switch()

    def on_step_begin(self, args, state, control, **kwargs):
        """Draw new trainable layers every ``interval`` steps."""
        if state.global_step and state.global_step % self.interval == 0:
            self.switch()
