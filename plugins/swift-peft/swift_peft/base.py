"""What every peft-backed tuner shares: attach, save, load adapters by name, merge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from peft import PeftConfig, PeftModel, get_peft_model

from swift_peft.settings import TargetSettings
from swift_peft.targets import resolve_modules_to_save, resolve_target_modules, task_type

DEFAULT_ADAPTER = "default"

# fn(settings, common) -> PeftConfig; settings is the method's typed settings object
ConfigBuilder = Callable[[Any, dict[str, Any]], PeftConfig]


class PeftTuner:
    """A tuning method implemented by a peft config.

    Implements :class:`swift.contracts.Tuner`:

    * ``prepare(model, args, *, total_steps=None) -> PeftModel`` — wraps ``model``; only the adapter
      (plus ``--modules_to_save`` and, with ``--lora_bias all``, biases) is trainable.
    * ``save(model, output_dir)`` — writes a checkpoint plain peft loads with
      ``PeftModel.from_pretrained(base_model, output_dir)``.
    * ``load(model, adapter_dir, *, is_trainable=False, adapter_name="default")`` —
      attaches a saved adapter; call again with another ``adapter_name`` to hold
      several adapters for inference.
    * ``merge(model) -> model`` — folds the adapters into the base weights.
    * ``optimizer_param_groups(model, args)`` and ``callback(model, args)`` — None
      here; methods that need them override.

    Args:
        name: The ``--train_type`` this object implements.
        build_config: ``fn(settings, common) -> PeftConfig`` where ``settings`` is
            ``settings_type.from_args(args)`` and ``common`` holds the
            resolved ``target_modules``, ``modules_to_save`` and ``task_type``.
    """

    def __init__(self, name: str, build_config: ConfigBuilder | None = None, settings_type: Any = None):
        self.name = name
        self._build_config = build_config
        self._settings_type = settings_type

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    def common_settings(self, model: torch.nn.Module, args: Any) -> dict[str, Any]:
        """The peft config fields every method shares: targets, modules to save, task type."""
        targets = TargetSettings.from_args(args)
        return {
            "target_modules": resolve_target_modules(model, targets),
            "modules_to_save": resolve_modules_to_save(model, targets),
            "task_type": task_type(model),
        }

    def config(self, model: torch.nn.Module, args: Any, *, total_steps: int | None = None) -> PeftConfig:
        """The peft config ``prepare`` attaches to ``model`` for ``args``."""
        return self._build_config(self._settings_type.from_args(args), self.common_settings(model, args))

    def prepare(self, model: torch.nn.Module, args: Any, *, total_steps: int | None = None) -> PeftModel:
        """Attach a fresh adapter to ``model`` and freeze everything else.

        Uses the global torch RNG (adapter initialisation): seed before calling
        when runs must be reproducible. ``total_steps``: optimizer steps of the run
        (methods with a schedule, AdaLoRA, need them).
        """
        return get_peft_model(model, self.config(model, args, total_steps=total_steps))

    def save(self, model: PeftModel, output_dir: str, **kwargs: Any) -> None:
        """Write the adapter (``adapter_config.json`` + ``adapter_model.safetensors``).

        ``kwargs`` go to ``PeftModel.save_pretrained`` (``state_dict``,
        ``is_main_process``, ``safe_serialization`` …, as a Trainer passes them).
        """
        model.save_pretrained(output_dir, **kwargs)

    def load(
        self,
        model: torch.nn.Module,
        adapter_dir: str,
        *,
        is_trainable: bool = False,
        adapter_name: str = DEFAULT_ADAPTER,
    ) -> PeftModel:
        """Attach the adapter saved in ``adapter_dir`` to ``model``.

        Args:
            model: A base model, or a ``PeftModel`` that already holds adapters.
            adapter_dir: Directory with ``adapter_config.json``.
            is_trainable: Keep the adapter trainable (resuming training).
            adapter_name: Name of the adapter inside the model; a second adapter
                needs a new name and is selected with ``model.set_adapter(name)``.

        Returns:
            The ``PeftModel`` (the same object when ``model`` already was one).
        """
        if isinstance(model, PeftModel):
            model.load_adapter(adapter_dir, adapter_name=adapter_name, is_trainable=is_trainable)
            return model
        return PeftModel.from_pretrained(model, adapter_dir, adapter_name=adapter_name, is_trainable=is_trainable)

    def merge(self, model: PeftModel) -> torch.nn.Module:
        """Fold the active adapters into the base weights; returns the plain transformers model."""
        return model.merge_and_unload()

    def optimizer_param_groups(self, model: torch.nn.Module, args: Any) -> list[dict] | None:
        """None: the trainer builds its usual parameter groups."""
        return None

    def callback(self, model: torch.nn.Module, args: Any) -> Any | None:
        """None: this method needs no per-step work from the trainer."""
        return None
