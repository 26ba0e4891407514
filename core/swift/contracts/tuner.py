"""The tuner contract (``--train_type``): what a ``TunerRecord.load`` object implements."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Tuner(Protocol):
    """A tuning method: attach trainable weights, save them, load and merge them again.

    Checkpoints a tuner writes must load in plain peft/transformers (an adapter folder
    with ``adapter_config.json``, or a full model folder). Whether the method trains
    the base weights or can be merged is said by its record (``TunerRecord.full``,
    ``TunerRecord.mergeable``), never by comparing names.

    Example::

        from swift.contracts import load_tuner
        tuner = load_tuner("lora")
        model = tuner.prepare(model, args, total_steps=1000)
        ...
        tuner.save(model, "output/checkpoint-1000")
        merged = tuner.merge(tuner.load(base, "output/checkpoint-1000"))
    """

    def prepare(self, model: Any, args: Any, *, total_steps: int | None = None) -> Any:
        """Make ``model`` trainable with this method and return the model to train.

        Args:
            model: The loaded base model.
            args: The command's arguments; a tuner reads its own settings from them once
                (``LoraSettings.from_args(args)``), never keeps them.
            total_steps: Optimizer steps of the whole run when the trainer knows them
                (AdaLoRA's rank schedule needs them); ``None`` when unknown.
        """
        ...

    def save(self, model: Any, output_dir: str, **kwargs: Any) -> None:
        """Write a checkpoint of the trained part to ``output_dir``.

        ``kwargs`` are what a transformers Trainer passes to ``save_pretrained``
        (``state_dict``, ``safe_serialization`` …).
        """
        ...

    def load(self, model: Any, adapter_dir: str, *, is_trainable: bool = False, adapter_name: str = "default") -> Any:
        """Attach the checkpoint in ``adapter_dir`` to ``model``.

        Call again with another ``adapter_name`` to hold several adapters.
        """
        ...

    def merge(self, model: Any) -> Any:
        """Fold the active adapters into the base weights and return the plain model.

        Only called when the record says ``mergeable``.
        """
        ...


@runtime_checkable
class TunerWithParamGroups(Protocol):
    """Optional: a tuner that needs its own optimizer parameter groups (LoRA+)."""

    def optimizer_param_groups(self, model: Any, args: Any) -> list[dict] | None:
        """Parameter groups for the optimizer, or ``None`` for the trainer's usual ones."""
        ...


@runtime_checkable
class TunerWithCallback(Protocol):
    """Optional: a tuner that needs per-step work from the trainer (AdaLoRA's reallocation)."""

    def callback(self, model: Any, args: Any) -> Any | None:
        """A transformers ``TrainerCallback`` to add, or ``None``."""
        ...
