"""LoRA and its variants: DoRA, rsLoRA, PiSSA/OLoRA initialisation, LoRA+ learning rates."""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from typing import Any

import torch
from peft import LoraConfig, PeftModel
from peft.tuners.tuners_utils import BaseTunerLayer
from peft.utils import get_peft_model_state_dict
from safetensors.torch import load_file, save_file

from swift.arguments.tuners import normalize_init_lora_weights
from swift.kernel import UsageError
from swift_peft.base import PeftTuner
from swift_peft.param_groups import loraplus_param_groups
from swift_peft.settings import LoraSettings

_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}
# Initialisations that move part of the base weight into the adapter; their checkpoints
# are converted to plain LoRA on save so they apply to the original base model.
_RESIDUAL_PREFIXES = ("pissa", "olora")
# Initialisations that need calibration data or a quantizer this plugin does not provide.
_UNSUPPORTED_INITS = ("loftq", "eva", "corda", "lora-ga", "lora_ga")
_SUPPORTED = "true, false, gaussian, pissa, pissa_niter_<n> or olora"
_INITIAL_ADAPTER_ATTR = "swift_initial_adapter_dir"


def peft_init_lora_weights(value: Any) -> bool | str:
    """``--init_lora_weights`` (a string on the command line) as peft takes it.

    The spelling is the core's (:func:`swift.arguments.tuners.normalize_init_lora_weights`);
    here ``true``/``false`` become booleans and the methods this plugin cannot run are refused.

    Raises:
        UsageError: For unknown values and methods needing extra inputs (LoftQ, EVA, CorDA …).
    """
    if isinstance(value, bool):
        return value
    text = normalize_init_lora_weights(value)
    if text in ("true", "false"):
        return text == "true"
    if text in _UNSUPPORTED_INITS:
        raise UsageError(
            f"--init_lora_weights {value} needs calibration data or a quantizer that swift-peft "
            f"does not provide; use {_SUPPORTED}."
        )
    return text


def _is_residual(init: bool | str) -> bool:
    return isinstance(init, str) and init.startswith(_RESIDUAL_PREFIXES)


def cast_adapter_dtype(model: torch.nn.Module, dtype_name: str | None) -> None:
    """Cast the adapter weights (not the base layers) to ``--lora_dtype``."""
    if not dtype_name:
        return
    if dtype_name not in _DTYPES:
        raise UsageError(f"--lora_dtype {dtype_name!r} is not valid; choose {', '.join(_DTYPES)}.")
    dtype = _DTYPES[dtype_name]
    for module in model.modules():
        if isinstance(module, BaseTunerLayer):
            for attr in module.adapter_layer_names:
                getattr(module, attr).to(dtype)


class LoraTuner(PeftTuner):
    """``--train_type lora``; see :class:`~swift_peft.base.PeftTuner` for the contract.

    Reads ``lora_rank``, ``lora_alpha``, ``lora_dropout``, ``lora_bias``,
    ``init_lora_weights``, ``use_dora``, ``use_rslora``, ``lora_dtype`` and
    ``lorap_lr_ratio`` (LoRA+, see :meth:`optimizer_param_groups`).
    """

    def __init__(self) -> None:
        super().__init__("lora")

    def config(self, model: torch.nn.Module, args: Any, *, total_steps: int | None = None) -> LoraConfig:
        """The LoRA config for ``args`` (typed through :class:`~swift_peft.settings.LoraSettings`)."""
        settings = LoraSettings.from_args(args)
        return LoraConfig(
            r=settings.rank,
            lora_alpha=settings.alpha,
            lora_dropout=settings.dropout,
            bias=settings.bias,
            use_dora=settings.use_dora,
            use_rslora=settings.use_rslora,
            init_lora_weights=settings.init_weights,
            **self.common_settings(model, args),
        )

    def prepare(self, model: torch.nn.Module, args: Any, *, total_steps: int | None = None) -> PeftModel:
        """Attach LoRA; with PiSSA/OLoRA also keep the initial adapter for :meth:`save`."""
        model = super().prepare(model, args, total_steps=total_steps)
        cast_adapter_dtype(model, LoraSettings.from_args(args).dtype)
        config = model.peft_config["default"]
        if _is_residual(config.init_lora_weights):
            _keep_initial_adapter(model)
        return model

    def save(self, model: PeftModel, output_dir: str, **kwargs: Any) -> None:
        """Write the adapter; a PiSSA/OLoRA adapter is written as plain LoRA of twice the rank.

        PiSSA and OLoRA subtract the initial adapter from the base weights, so their raw
        adapter only fits that modified base. Saving ``A·B − A₀·B₀`` instead (peft's
        conversion) gives an adapter for the original model, loadable by plain peft.
        """
        initial = getattr(model, _INITIAL_ADAPTER_ATTR, None)
        if initial is None:
            model.save_pretrained(output_dir, **kwargs)
            return
        model.save_pretrained(output_dir, path_initial_model_for_weight_conversion=initial, **kwargs)
        _restore_extra_weights(model, output_dir, kwargs.get("state_dict"))

    def optimizer_param_groups(self, model: torch.nn.Module, args: Any) -> list[dict] | None:
        """LoRA+ parameter groups, or None when ``--lorap_lr_ratio`` is unset.

        Contract for the trainer: when this returns a list, build the optimizer as
        ``optimizer_cls(groups, **optimizer_kwargs)``; each group carries its own
        ``lr`` and ``weight_decay`` (they win over the defaults), and the LR
        scheduler scales every group by the same factor. ``lora_B`` matrices get
        ``args.learning_rate * args.lorap_lr_ratio``, all other trainable
        parameters ``args.learning_rate``; biases and 1-D weights get no weight decay.
        """
        settings = LoraSettings.from_args(args)
        if not settings.plus_lr_ratio:
            return None
        return loraplus_param_groups(model, settings.learning_rate, settings.plus_lr_ratio, settings.weight_decay)


def _keep_initial_adapter(model: PeftModel) -> None:
    directory = tempfile.mkdtemp(prefix="swift-initial-adapter-")
    path = os.path.join(directory, "initial")
    config = model.peft_config["default"]
    # the saved initial adapter must say init True, or loading it would decompose the base again
    config.init_lora_weights = True
    model.save_pretrained(path)
    setattr(model, _INITIAL_ADAPTER_ATTR, path)
    weakref.finalize(model, shutil.rmtree, directory, True)


def _restore_extra_weights(model: PeftModel, output_dir: str, state_dict: dict | None) -> None:
    # peft's conversion keeps only lora_A/lora_B; modules_to_save, biases and DoRA magnitudes
    # do not depend on the residual base, so they are written back unchanged.
    full = get_peft_model_state_dict(model, state_dict=state_dict)
    extra = {k: v for k, v in full.items() if "lora_A" not in k and "lora_B" not in k}
    file = os.path.join(output_dir, "adapter_model.safetensors")
    if not extra or not os.path.exists(file):
        return
    tensors = load_file(file)
    tensors.update({k: v.detach().contiguous() for k, v in extra.items()})
    save_file(tensors, file, metadata={"format": "pt"})


LORA = LoraTuner()
