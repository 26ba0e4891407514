"""Translate swift's model flags into ``from_pretrained`` keyword arguments.

``--torch_dtype``, ``--attn_impl``, ``--rope_scaling`` + ``--max_length``,
``--device_map`` and the quantization flags each map to one transformers option;
the functions here do that mapping and explain what is wrong when they cannot.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

from swift.kernel import UsageError

_DTYPES = ("float16", "bfloat16", "float32")
# ms-swift's short names → transformers' attn_implementation values.
_ATTN_ALIASES = {"flash_attn": "flash_attention_2", "flash_attention": "flash_attention_2"}


def torch_dtype(name: Any):
    """``"bfloat16"`` → ``torch.bfloat16``; ``None`` stays ``None``; a torch dtype passes."""
    import torch

    if name is None or isinstance(name, torch.dtype):
        return name
    key = str(name).removeprefix("torch.")
    if key not in _DTYPES:
        raise UsageError(f"--torch_dtype {name!r} is not supported; choose one of {', '.join(_DTYPES)}.")
    return getattr(torch, key)


def config_dtype(config: Any):
    """The dtype a config declares (``dtype`` or the older ``torch_dtype``), or None."""
    declared = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None)
    try:
        return torch_dtype(declared)
    except UsageError:
        return None


def attn_implementation(attn_impl: str | None, config: Any = None) -> str:
    """Transformers' ``attn_implementation`` for ``--attn_impl``.

    Unset means ``sdpa`` where the architecture supports it and ``eager`` where it does
    not (Gemma 2 in transformers 5 refuses sdpa), so every model type loads by default.

    Raises:
        UsageError: ``flash_attn`` was asked for but the ``flash-attn`` package is missing.
    """
    if not attn_impl:
        return "sdpa" if _supports_sdpa(config) else "eager"
    impl = _ATTN_ALIASES.get(attn_impl, attn_impl)
    if impl.startswith("flash_attention") and importlib.util.find_spec("flash_attn") is None:
        raise UsageError(
            f"--attn_impl {attn_impl} needs the flash-attn package, which is not installed "
            "(it requires a CUDA GPU: pip install flash-attn --no-build-isolation). "
            "Use --attn_impl sdpa (the default) or eager instead."
        )
    return impl


def _supports_sdpa(config: Any) -> bool:
    if config is None:
        return True
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

    try:
        model_class = MODEL_FOR_CAUSAL_LM_MAPPING[type(config)]
    except KeyError:  # remote-code architectures decide for themselves
        return True
    return bool(getattr(model_class, "_supports_sdpa", True))


def device_map(value: Any) -> Any:
    """``--device_map`` as transformers takes it: a name, a device index or a dict.

    Accepts a dict, a JSON object string, a path to a ``.json`` file, a digit string
    (GPU index) or a name such as ``auto``/``cpu``/``cuda:0``.
    """
    if value is None or isinstance(value, (dict, int)):
        return value
    text = str(value).strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise UsageError(f"--device_map is not valid JSON: {exc}") from None
    if text.endswith(".json"):
        path = Path(text).expanduser()
        if not path.is_file():
            raise UsageError(f"--device_map {text!r}: no such file.")
        return json.loads(path.read_text(encoding="utf-8"))
    return int(text) if text.isdigit() else text


def rope_parameters(config: Any, rope_scaling: Any, max_length: int | None) -> dict | None:
    """The new ``config.rope_parameters`` for ``--rope_scaling``, or None to keep the config's.

    ``linear``/``dynamic`` scale by ``max_length / original max_position_embeddings`` and only
    when ``max_length`` exceeds it; a dict is used as given.

    Raises:
        UsageError: ``--rope_scaling`` is a type but ``--max_length`` is unset.
    """
    if not rope_scaling:
        return None
    current = getattr(config, "rope_parameters", None) or {}
    if isinstance(rope_scaling, dict):
        return {**current, **rope_scaling}
    if rope_scaling not in ("linear", "dynamic"):
        raise UsageError(f"--rope_scaling {rope_scaling!r} is not supported; choose linear or dynamic.")
    if not max_length:
        raise UsageError(
            f"--rope_scaling {rope_scaling} needs --max_length: the scaling factor is max_length / "
            "the model's max_position_embeddings."
        )
    nested = bool(current) and all(isinstance(v, dict) for v in current.values())
    first = next(iter(current.values()), {}) if nested else current
    original = first.get("original_max_position_embeddings") or getattr(config, "max_position_embeddings", None)
    if not original:
        raise UsageError("--rope_scaling: the model config has no max_position_embeddings to scale from.")
    if max_length <= original:
        print(
            f"swift: warning: --rope_scaling {rope_scaling} ignored: --max_length {max_length} "
            f"does not exceed the model's {original} positions.",
            file=sys.stderr,
        )
        return None
    scaled = {"rope_type": rope_scaling, "factor": max_length / original}
    if nested:  # per-layer-type parameters (Gemma 3): scale every kind of layer
        return {kind: {**params, **scaled} for kind, params in current.items()}
    return {**current, **scaled}


def quantization_config(args: Any, dtype: Any):
    """A transformers quantization config for ``--quant_method``/``--quant_bits``, or None.

    ``awq``/``gptq``/``aqlm`` checkpoints carry their own config and need nothing here.

    Raises:
        UsageError: Unsupported bits, or the method's package is not installed.
    """
    method = getattr(args, "quant_method", None)
    bits = getattr(args, "quant_bits", None)
    if method in (None, "awq", "gptq", "aqlm"):
        return None
    if method == "bnb":
        if bits not in (4, 8):
            raise UsageError(f"--quant_method bnb needs --quant_bits 4 or 8, got {bits}.")
        _require("bitsandbytes", "bnb")
        from transformers import BitsAndBytesConfig

        if bits == 8:
            return BitsAndBytesConfig(load_in_8bit=True)
        compute = torch_dtype(getattr(args, "bnb_4bit_compute_dtype", None)) or dtype
        storage = getattr(args, "bnb_4bit_quant_storage", None)
        return BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_compute_dtype=compute,
            bnb_4bit_quant_type=getattr(args, "bnb_4bit_quant_type", "nf4") or "nf4",
            bnb_4bit_use_double_quant=getattr(args, "bnb_4bit_use_double_quant", True),
            bnb_4bit_quant_storage=torch_dtype(storage) if storage else None,
        )
    if method == "hqq":
        _require("hqq", "hqq")
        from transformers import HqqConfig

        kwargs = {"nbits": bits or 4}
        if getattr(args, "hqq_axis", None) is not None:
            kwargs["axis"] = args.hqq_axis
        return HqqConfig(**kwargs)
    if method == "eetq":
        _require("eetq", "eetq")
        from transformers import EetqConfig

        if bits not in (None, 8):
            raise UsageError(f"--quant_method eetq quantizes to 8 bits only, got --quant_bits {bits}.")
        return EetqConfig("int8")
    if method == "fp8":  # applied after loading (models/fp8.py): transformers has no config for it
        if bits not in (None, 8):
            raise UsageError(f"--quant_method fp8 stores 8 bits only, got --quant_bits {bits}.")
        return None
    raise UsageError(f"--quant_method {method!r} is not supported for loading; choose bnb, hqq, eetq or fp8.")


def _require(module: str, method: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise UsageError(
            f"--quant_method {method} needs the {module} package, which is not installed: pip install {module}."
        )


def add_local_repo_path(path: str | os.PathLike | None) -> None:
    """Put ``--local_repo_path`` first on ``sys.path`` so remote code imports the local clone."""
    if not path:
        return
    resolved = str(Path(path).expanduser().resolve())
    if not Path(resolved).is_dir():
        raise UsageError(f"--local_repo_path {str(path)!r}: no such directory.")
    if resolved not in sys.path:
        sys.path.insert(0, resolved)
