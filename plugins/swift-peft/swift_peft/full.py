"""Full-parameter training: no adapter, every weight trains and is saved."""

from __future__ import annotations

from typing import Any

import torch


class FullTuner:
    """``--train_type full``: :class:`swift.contracts.Tuner` without an adapter.

    ``prepare`` makes every parameter trainable; ``save`` is the model's own
    ``save_pretrained`` (a complete transformers checkpoint); ``load`` reads such a
    checkpoint back. There is nothing to merge (the record says ``mergeable=False``).
    """

    name = "full"

    def __repr__(self) -> str:
        return "<FullTuner 'full'>"

    def prepare(self, model: torch.nn.Module, args: Any, *, total_steps: int | None = None) -> torch.nn.Module:
        """Unfreeze every parameter of ``model`` but those of frozen parts, and return it.

        A vision-language model keeps the parts its ``--freeze_*`` flags name fixed (the
        vision tower and aligner by default; :mod:`swift.contracts.parts`).
        """
        from swift.contracts.parts import is_frozen
        from swift.kernel import UsageError
        from swift_peft.settings import TargetSettings

        model.requires_grad_(True)
        parts, frozen = TargetSettings.from_args(args).frozen_parts(model)
        for name, param in model.named_parameters():
            if is_frozen(name, parts, frozen):
                param.requires_grad_(False)
        if not any(p.requires_grad for p in model.parameters()):
            raise UsageError("--freeze_llm, --freeze_vit and --freeze_aligner freeze every part: nothing left to train")
        return model

    def save(self, model: torch.nn.Module, output_dir: str, **kwargs: Any) -> None:
        """Write a full checkpoint with ``model.save_pretrained`` (tied weights saved once)."""
        model.save_pretrained(output_dir, **kwargs)

    def load(
        self, model: torch.nn.Module, adapter_dir: str, *, is_trainable: bool = False, **_: Any
    ) -> torch.nn.Module:
        """A model of the same class loaded from the full checkpoint ``adapter_dir``.

        Args:
            model: The base model; gives the class and dtype to load with.
            adapter_dir: A directory written by :meth:`save`.
            is_trainable: Keep the weights trainable (otherwise evaluation mode, frozen).
        """
        loaded = type(model).from_pretrained(adapter_dir, dtype=model.dtype).to(model.device)
        loaded.requires_grad_(is_trainable)
        return loaded.train(is_trainable)

    def optimizer_param_groups(self, model: torch.nn.Module, args: Any) -> list[dict] | None:
        """None: the trainer builds its usual parameter groups."""
        return None

    def callback(self, model: torch.nn.Module, args: Any) -> Any | None:
        """None: full training needs no per-step work from the trainer."""
        return None


FULL = FullTuner()
