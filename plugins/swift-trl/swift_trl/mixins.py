"""What every swift rlhf trainer adds to its base trainer: tuner checkpoints, memory logs."""

from __future__ import annotations

import os
from typing import Any

import torch
from swift_transformers.train.trainer import peak_memory_gib

TRAINING_ARGS_NAME = "training_args.bin"


class SwiftTrlMixin:
    """Checkpoints through the tuner and ``memory(GiB)`` in training logs.

    Args:
        tuner: The ``--train_type`` tuner; its ``save`` writes every checkpoint (PiSSA
            and OLoRA adapters are converted there so they load on the original base).
    """

    def __init__(self, *args: Any, tuner: Any = None, **kwargs: Any):
        self.swift_tuner = tuner
        super().__init__(*args, **kwargs)

    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        if self.swift_tuner is None:
            return super()._save(output_dir, state_dict)
        output_dir = output_dir if output_dir is not None else self.args.output_dir
        if not self.args.should_save:
            return None
        os.makedirs(output_dir, exist_ok=True)
        model = self.accelerator.unwrap_model(self.model, keep_torch_compile=False)
        kwargs: dict[str, Any] = {"state_dict": state_dict, "is_main_process": True}
        adapters = list(getattr(model, "peft_config", None) or ())
        if "ref" in adapters:
            # trl keeps a frozen copy of the initial adapter named "ref" as the reference
            # policy; a checkpoint holds only the trained one
            kwargs["selected_adapters"] = [a for a in adapters if a != "ref"]
        self.swift_tuner.save(model, output_dir, **kwargs)
        if self.processing_class is not None:
            self.processing_class.save_pretrained(output_dir)
        torch.save(self.args, os.path.join(output_dir, TRAINING_ARGS_NAME))
        return None

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs:
            logs["memory(GiB)"] = peak_memory_gib()
        super().log(logs, start_time)
