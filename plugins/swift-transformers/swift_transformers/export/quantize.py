"""``swift export --quant_method bnb|gptq|awq``: write a quantized copy of a model.

* ``bnb`` — load with a ``BitsAndBytesConfig`` (4 or 8 bits) and save; no calibration.
* ``gptq`` — transformers' ``GPTQConfig`` (optimum + gptqmodel run the calibration while
  the model loads), then save.
* ``awq`` — AutoAWQ (``autoawq``): ``quantize`` with the calibration texts, then
  ``save_quantized``.

Each method's library is checked before anything is loaded, so a missing package
is reported at once with the pip command that installs it.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import sys
from dataclasses import dataclass
from typing import Any

from swift.arguments.infer import size_bytes
from swift.kernel import SwiftError, UsageError


@dataclass(frozen=True)
class QuantMethod:
    """What one ``--quant_method`` needs.

    Attributes:
        name: The ``--quant_method`` value.
        bits: Accepted ``--quant_bits``.
        modules: Import names that must be importable.
        packages: The pip names installing them (same order).
        summary: One line for error messages.
    """

    name: str
    bits: tuple[int, ...]
    modules: tuple[str, ...]
    packages: tuple[str, ...]
    summary: str


QUANT_METHODS = {
    "bnb": QuantMethod(
        "bnb",
        (4, 8),
        ("bitsandbytes",),
        ("bitsandbytes",),
        "bitsandbytes 4/8-bit weights (no calibration)",
    ),
    "gptq": QuantMethod(
        "gptq",
        (2, 3, 4, 8),
        ("optimum", "gptqmodel"),
        ("optimum", "gptqmodel"),
        "GPTQ through transformers' GPTQConfig",
    ),
    "awq": QuantMethod("awq", (4,), ("awq",), ("autoawq",), "AWQ through AutoAWQ"),
}


def check_quant_method(method: str, bits: int | None) -> QuantMethod:
    """Validate ``--quant_method``/``--quant_bits`` and that the library is installed.

    Raises:
        UsageError: An unknown method, unsupported bits, or a missing package (the
            message names the method and the ``pip install`` command).
    """
    spec = QUANT_METHODS.get(method)
    if spec is None:
        raise UsageError(
            f"swift export cannot quantize with --quant_method {method}; choose "
            f"{', '.join(QUANT_METHODS)} ({method} is a load-time method: use it with "
            "`swift infer`/`swift sft` instead)."
        )
    if bits is None:
        raise UsageError(f"--quant_method {method} needs --quant_bits ({' or '.join(map(str, spec.bits))}).")
    if bits not in spec.bits:
        raise UsageError(
            f"--quant_method {method} supports --quant_bits {' or '.join(map(str, spec.bits))}, got {bits}."
        )
    missing = [pkg for mod, pkg in zip(spec.modules, spec.packages) if not _importable(mod)]
    if missing:
        raise UsageError(
            f"--quant_method {method} ({spec.summary}) needs {' and '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed: pip install {' '.join(missing)}"
        )
    return spec


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken half-installed package counts as missing
        return False


def quantize(args: Any, model_dir: str, output_dir: str) -> str:
    """Quantize the model in ``model_dir`` and save it to ``output_dir``.

    Args:
        args: ``ExportArguments`` (``quant_method``, ``quant_bits``, ``quant_n_samples``,
            ``quant_seqlen``, ``quant_batch_size``, ``group_size``, ``max_shard_size``,
            the data flags for calibration and the model flags for loading).
        model_dir: A local folder with full (already merged) weights, or a hub id
            (downloaded like ``--model``).
        output_dir: Where the quantized model and its tokenizer are written.

    Returns:
        ``output_dir``.
    """
    from swift_transformers.models.loading import resolve_model_dir

    check_quant_method(args.quant_method, args.quant_bits)
    model_dir = resolve_model_dir(_loading_view(args, model=model_dir))
    quantizer = {"bnb": _bnb, "gptq": _gptq, "awq": _awq}[args.quant_method]
    print(
        f"swift export: quantizing {model_dir} with {args.quant_method} int{args.quant_bits}",
        file=sys.stderr,
    )
    quantizer(args, model_dir, output_dir)
    return output_dir


def _loading_view(args: Any, **changes: Any) -> Any:
    # A copy so the caller's arguments (and what args.json records) stay as the user gave them.
    view = copy.copy(args)
    view.model_kwargs = dict(getattr(args, "model_kwargs", None) or {})
    for name, value in changes.items():
        setattr(view, name, value)
    return view


def _template(args: Any, model_dir: str, tokenizer: Any) -> Any:
    from swift.template import get_template, model_template
    from swift_transformers.models.loading import select_model_record

    record = select_model_record(model_dir, model=getattr(args, "model", None), model_type=args.model_type)
    name = model_template(getattr(args, "template", None), record.template, tokenizer)
    return get_template(name, tokenizer, args)


def save_model(model: Any, tokenizer: Any, output_dir: str, args: Any) -> None:
    """``save_pretrained`` of model (sharded by ``--max_shard_size``) and tokenizer."""
    from swift.services.checkpoints import copy_processor_files

    model.save_pretrained(output_dir, max_shard_size=size_bytes(args.max_shard_size))
    tokenizer.save_pretrained(output_dir)
    copy_processor_files(getattr(tokenizer, "name_or_path", None), output_dir)  # a vision model's image processor


def _bnb(args: Any, model_dir: str, output_dir: str) -> None:
    from swift_transformers.models.loading import load_model

    # the loader turns quant_method/quant_bits into a BitsAndBytesConfig
    model, tokenizer, _ = load_model(_loading_view(args), model_dir=model_dir)
    save_model(model, tokenizer, output_dir, args)


def _gptq(args: Any, model_dir: str, output_dir: str) -> None:
    from transformers import GPTQConfig

    from swift_transformers.export.calibration import calibration_texts
    from swift_transformers.models.loading import load_model, load_tokenizer

    tokenizer = load_tokenizer(model_dir, args)
    texts = calibration_texts(args, _template(args, model_dir, tokenizer))
    config = GPTQConfig(
        bits=args.quant_bits,
        tokenizer=tokenizer,
        dataset=texts,
        group_size=args.group_size,
        model_seqlen=args.quant_seqlen,
        batch_size=args.quant_batch_size,
        pad_token_id=tokenizer.pad_token_id,
    )
    # GPTQ calibrates while from_pretrained runs; quant_method is cleared so the loader
    # does not build a load-time config of its own.
    view = _loading_view(args, quant_method=None, quant_bits=None)
    view.model_kwargs["quantization_config"] = config
    try:
        model, tokenizer, _ = load_model(view, model_dir=model_dir)
    except (RuntimeError, ImportError) as exc:  # e.g. "GPU is required" from the quantizer
        raise SwiftError(f"--quant_method gptq failed: {exc}") from exc
    save_model(model, tokenizer, output_dir, args)


def _awq(args: Any, model_dir: str, output_dir: str) -> None:
    from awq import AutoAWQForCausalLM

    from swift_transformers.export.calibration import calibration_texts
    from swift_transformers.models.loading import load_tokenizer

    tokenizer = load_tokenizer(model_dir, args)
    texts = calibration_texts(args, _template(args, model_dir, tokenizer))
    model = AutoAWQForCausalLM.from_pretrained(model_dir, trust_remote_code=True, safetensors=True)
    model.quantize(
        tokenizer,
        quant_config={
            "w_bit": args.quant_bits,
            "q_group_size": args.group_size,
            "zero_point": True,
            "version": "GEMM",
        },
        calib_data=texts,
        max_calib_samples=len(texts),
        max_calib_seq_len=args.quant_seqlen,
        n_parallel_calib_samples=args.quant_batch_size,
    )
    model.save_quantized(output_dir, safetensors=True, shard_size=size_bytes(args.max_shard_size))
    tokenizer.save_pretrained(output_dir)
    if not os.path.isfile(os.path.join(output_dir, "config.json")):
        raise SwiftError(f"--quant_method awq: AutoAWQ wrote no config.json into {output_dir}.")
