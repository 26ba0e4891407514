"""What every swift trainer adds to its transformers (or trl) base class.

List :class:`SwiftTrainerMixin` before the base class, so ``swift sft`` and each
``swift rlhf`` trainer save, optimise and log alike::

    class SwiftDPOTrainer(SwiftTrainerMixin, DPOTrainer): ...

    trainer = SwiftDPOTrainer(..., tuner=tuner, param_groups=tuner_param_groups(args, tuner))

It is made of four mixins, usable alone:

* :class:`~swift_transformers.train.checkpoints.AtomicCheckpointMixin` — every
  ``checkpoint-N`` (with the run's ``args.json``) appears complete or not at all;
* :class:`TunerCheckpointMixin` — every checkpoint written by the ``--train_type`` tuner;
* :class:`TunerOptimizerMixin` — the optimizer over the tuner's parameter groups (LoRA+);
* :class:`RunLogMixin` — ``memory(GiB)`` and ``train_speed(iter/s)`` in training logs.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

import torch

from swift_transformers.train.checkpoints import AtomicCheckpointMixin

TRAINING_ARGS_NAME = "training_args.bin"


def peak_memory_gib() -> float:
    """Peak accelerator memory reserved by this process, or its peak RSS on CPU, in GiB."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return round(torch.cuda.max_memory_reserved() / 2**30, 4)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes
    return round(rss / (2**30 if sys.platform == "darwin" else 2**20), 4)


class TunerCheckpointMixin:
    """Write checkpoints with the tuner's ``save`` instead of ``model.save_pretrained``.

    The tuner converts what plain peft could not load on the original base (PiSSA and
    OLoRA adapters become plain LoRA); see swift-peft's README. The tokenizer and
    ``training_args.bin`` are written beside, as transformers does.

    Args:
        tuner: The ``--train_type`` tuner; None keeps transformers' ``_save``.

    Attributes:
        frozen_adapters: Names of adapters that are never trained (trl's ``ref`` copy
            of the initial adapter); left out of checkpoints when the model has them.
    """

    frozen_adapters: tuple[str, ...] = ()

    def __init__(self, *args: Any, tuner: Any = None, **kwargs: Any):
        self.swift_tuner = tuner
        super().__init__(*args, **kwargs)

    def _save(self, output_dir: str | None = None, state_dict: dict | None = None) -> None:
        """Write the model into ``output_dir`` through the tuner (main process only)."""
        if self.swift_tuner is None:
            return super()._save(output_dir, state_dict)
        output_dir = output_dir if output_dir is not None else self.args.output_dir
        if not self.args.should_save:
            return None
        os.makedirs(output_dir, exist_ok=True)
        model = self.accelerator.unwrap_model(self.model, keep_torch_compile=False)
        kwargs: dict[str, Any] = {"state_dict": state_dict, "is_main_process": True}
        adapters = list(getattr(model, "peft_config", None) or ())
        if any(name in adapters for name in self.frozen_adapters):
            kwargs["selected_adapters"] = [a for a in adapters if a not in self.frozen_adapters]
        self.swift_tuner.save(model, output_dir, **kwargs)
        if self.processing_class is not None:
            from swift.services.checkpoints import copy_processor_files

            self.processing_class.save_pretrained(output_dir)
            copy_processor_files(getattr(self.processing_class, "name_or_path", None), output_dir)
        torch.save(self.args, os.path.join(output_dir, TRAINING_ARGS_NAME))
        return None


class TunerOptimizerMixin:
    """Build the optimizer over the tuner's own parameter groups when it has them (LoRA+).

    Done in ``create_optimizer`` rather than handed over as ``optimizers=``, which
    transformers refuses under DeepSpeed and FSDP.

    Args:
        param_groups: ``fn(model) -> list[dict] | None`` (see
            :func:`~swift_transformers.train.build.tuner_param_groups`); None, or a
            None result, keeps transformers' groups.
    """

    def __init__(
        self,
        *args: Any,
        param_groups: Callable[[torch.nn.Module], list[dict] | None] | None = None,
        **kwargs: Any,
    ):
        self.swift_param_groups = param_groups
        super().__init__(*args, **kwargs)

    def create_optimizer(self, model=None):
        """The optimizer over the tuner's parameter groups, else transformers' own."""
        opt_model = self.model if model is None else model
        if self.optimizer is None and self.swift_param_groups is not None:
            groups = self.swift_param_groups(opt_model)
            if groups:
                optimizer_cls, optimizer_kwargs = self.get_optimizer_cls_and_kwargs(self.args, opt_model)
                self.optimizer = optimizer_cls(groups, **optimizer_kwargs)
        return super().create_optimizer(model)


class RunLogMixin:
    """Add ``memory(GiB)`` and ``train_speed(iter/s)`` to every training log."""

    _first_step: int | None = None

    def training_step(self, *args: Any, **kwargs: Any):
        """The base class's step; the first one marks where this run's speed counts from."""
        if self._first_step is None:
            # a resumed run starts counting here, so the speed covers this run's steps only
            self._first_step = self.state.global_step
        return super().training_step(*args, **kwargs)

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Add the memory peak and the steps per second since this run's first step."""
        if "loss" in logs and "eval_loss" not in logs:
            logs["memory(GiB)"] = peak_memory_gib()
            if start_time is not None and self._first_step is not None:
                elapsed = time.time() - start_time
                steps = self.state.global_step - self._first_step
                if elapsed > 0:
                    logs["train_speed(iter/s)"] = round(steps / elapsed, 6)
        super().log(logs, start_time)


class AccuracyLogMixin:
    """``acc`` in every training log: the share of counted items right since the previous log.

    The trainer calls :meth:`count_accuracy` with ``[correct, total]`` from its loss; the counts
    stay on the device until a log (reading them every step would stall a GPU) and are summed
    across ranks there (every rank logs in lockstep, so the collective is safe).
    """

    _acc_counts: torch.Tensor | None = None

    def count_accuracy(self, counts: torch.Tensor) -> None:
        """Add one batch's ``[correct, total]``."""
        self._acc_counts = counts if self._acc_counts is None else self._acc_counts + counts

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Add ``acc`` to a training log when anything was counted since the previous one."""
        if "loss" in logs and "eval_loss" not in logs and self._acc_counts is not None:
            counts = self._acc_counts.to(self.args.device)
            if self.args.world_size > 1:
                counts = self.accelerator.reduce(counts, reduction="sum")
            correct, total = counts.tolist()
            if total:
                logs["acc"] = round(correct / total, 6)
            self._acc_counts = None
        super().log(logs, start_time)


class SwiftTrainerMixin(AtomicCheckpointMixin, TunerCheckpointMixin, TunerOptimizerMixin, RunLogMixin):
    """Tuner checkpoints, tuner parameter groups and run logs (see the module docstring).

    Args:
        tuner: See :class:`TunerCheckpointMixin`.
        param_groups: See :class:`TunerOptimizerMixin`.
    """
