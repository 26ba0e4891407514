"""AdaLoRA: LoRA whose rank budget is reallocated between layers while training."""

from __future__ import annotations

from typing import Any

import torch
from peft import AdaLoraConfig, PeftModel
from transformers import TrainerCallback

from swift_peft.base import PeftTuner
from swift_peft.settings import AdaLoraSettings


class AdaLoraCallback(TrainerCallback):
    """Calls ``update_and_allocate`` after every optimizer step, before gradients are cleared.

    AdaLoRA scores each rank from the gradients of the step just taken, so this runs
    in ``on_optimizer_step`` (transformers calls it between ``optimizer.step()`` and
    ``zero_grad()``). The step passed is the number of optimizer steps completed,
    1-based, so the final allocation happens on the last step when ``tfinal`` is 0.
    """

    def __init__(self, model: PeftModel):
        self.model = model

    def on_optimizer_step(self, args, state, control, **kwargs):
        """Reallocate AdaLoRA's ranks from the gradients of the step just taken."""
        self.model.base_model.update_and_allocate(state.global_step + 1)


class AdaLoraTuner(PeftTuner):
    """``--train_type adalora``; see :class:`~swift_peft.base.PeftTuner` for the contract.

    Reads ``adalora_*``, the LoRA targets, ``lora_alpha``, ``lora_dropout`` and
    ``lora_bias`` (``lora_dtype`` does not apply). The trainer must add
    :meth:`callback`'s result to its callbacks, or the ranks are never reallocated.
    """

    def __init__(self) -> None:
        super().__init__("adalora")

    def config(self, model: torch.nn.Module, args: Any, *, total_steps: int | None = None) -> AdaLoraConfig:
        """The AdaLoRA config for ``args`` with the run's total optimizer steps."""
        settings = AdaLoraSettings.from_args(args, total_steps)
        return AdaLoraConfig(
            init_r=settings.init_r,
            target_r=settings.target_r,
            tinit=settings.tinit,
            tfinal=settings.tfinal,
            deltaT=settings.delta_t,
            beta1=settings.beta1,
            beta2=settings.beta2,
            orth_reg_weight=settings.orth_reg_weight,
            total_step=settings.total_steps,
            lora_alpha=settings.lora.alpha,
            lora_dropout=settings.lora.dropout,
            bias=settings.lora.bias,
            init_lora_weights=settings.lora.init_weights,
            **self.common_settings(model, args),
        )

    def callback(self, model: PeftModel, args: Any) -> AdaLoraCallback:
        """The ``TrainerCallback`` the trainer must add (``trainer.add_callback``)."""
        return AdaLoraCallback(model)


ADALORA = AdaLoraTuner()
