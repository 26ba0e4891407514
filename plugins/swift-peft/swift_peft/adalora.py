"""AdaLoRA: LoRA whose rank budget is reallocated between layers while training."""

from __future__ import annotations

from typing import Any

import torch
from peft import AdaLoraConfig, PeftModel
from transformers import TrainerCallback

from swift.kernel import UsageError
from swift_peft.base import PeftTuner
from swift_peft.lora import peft_init_lora_weights


def total_steps(args: Any) -> int:
    """Optimizer steps of the whole run: ``--max_steps``, else ``args.num_training_steps``.

    Raises:
        UsageError: When neither is known; AdaLoRA's schedule needs the total.
    """
    for value in (getattr(args, "max_steps", -1), getattr(args, "num_training_steps", None)):
        if value is not None and value > 0:
            return int(value)
    raise UsageError(
        "--train_type adalora needs the total number of training steps: pass --max_steps N "
        "(or set args.num_training_steps before preparing the model)."
    )


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
        self.model.base_model.update_and_allocate(state.global_step + 1)


class AdaLoraTuner(PeftTuner):
    """``--train_type adalora``; see :class:`~swift_peft.base.PeftTuner` for the contract.

    Reads ``adalora_*``, the LoRA targets, ``lora_alpha``, ``lora_dropout`` and
    ``lora_bias`` (``lora_dtype`` does not apply). The trainer must add
    :meth:`callback`'s result to its callbacks, or the ranks are never reallocated.
    """

    def __init__(self) -> None:
        super().__init__("adalora")

    def config(self, model: torch.nn.Module, args: Any) -> AdaLoraConfig:
        init = peft_init_lora_weights(args.init_lora_weights)
        if not isinstance(init, bool):
            raise UsageError(
                f"--init_lora_weights {args.init_lora_weights} does not apply to adalora; "
                "use true or false."
            )
        steps = total_steps(args)
        if args.adalora_tinit >= steps - args.adalora_tfinal:
            raise UsageError(
                f"--adalora_tinit {args.adalora_tinit} + --adalora_tfinal {args.adalora_tfinal} "
                f"leave no step of the {steps} to reallocate ranks in; lower them or train longer."
            )
        return AdaLoraConfig(
            init_r=args.adalora_init_r,
            target_r=args.adalora_target_r,
            tinit=args.adalora_tinit,
            tfinal=args.adalora_tfinal,
            deltaT=args.adalora_deltaT,
            beta1=args.adalora_beta1,
            beta2=args.adalora_beta2,
            orth_reg_weight=args.adalora_orth_reg_weight,
            total_step=steps,
            lora_alpha=args.lora_alpha,
            lora_dropout=args.lora_dropout,
            bias=args.lora_bias,
            init_lora_weights=init,
            **self.common_settings(model, args),
        )

    def callback(self, model: PeftModel, args: Any) -> AdaLoraCallback:
        """The ``TrainerCallback`` the trainer must add (``trainer.add_callback``)."""
        return AdaLoraCallback(model)


ADALORA = AdaLoraTuner()
