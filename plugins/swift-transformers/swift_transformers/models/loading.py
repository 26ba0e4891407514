"""Load a model and its tokenizer for swift's model flags.

:func:`load_model` is what commands call: it resolves ``--model`` to a folder
(:func:`resolve_model_dir`), picks the model record (:func:`select_model_record`)
and calls the record's loader. :func:`load_causal_lm` is the loader most records
name: ``AutoTokenizer`` + ``AutoModelForCausalLM`` with dtype, attention, RoPE
scaling, device map, quantization and ``--model_kwargs`` applied.

Example::

    from swift.services import load_model       # the seam; this plugin answers it
    model, tokenizer, record = load_model(args)   # args: TrainArguments / InferArguments
    record.template                               # 'qwen2_5'
"""

from __future__ import annotations

import os
import sys
from typing import Any

from swift.kernel import ModelRecord, SwiftError, UsageError, load_object
from swift.services.detect import select_model_record
from swift.template import model_template
from swift_transformers.models import options
from swift_transformers.models.checks import check_model_files
from swift_transformers.models.resolve import resolve_model_dir

__all__ = [
    "check_requirements",
    "load_causal_lm",
    "load_model",
    "load_pretrained",
    "load_tokenizer",
    "resolve_model_dir",
]


def load_model(args: Any, *, model_dir: str | os.PathLike | None = None) -> tuple[Any, Any, ModelRecord]:
    """Resolve, detect and load: ``(model, tokenizer, record)`` for ``args``.

    Args:
        args: ``TrainArguments``/``InferArguments`` (or anything with the model flags).
        model_dir: An already resolved local folder; skips resolving ``--model``.

    Raises:
        UsageError: For every problem a user can fix (missing folder, offline hub,
            unknown ``--model_type``, missing packages, bad flag values).
    """
    model_dir = os.fspath(model_dir) if model_dir is not None else resolve_model_dir(args)
    record = select_model_record(
        model_dir, model=getattr(args, "model", None), model_type=getattr(args, "model_type", None)
    )
    check_requirements(record)
    loader = load_object(record.load, what=f"loader of model type {record.name!r}")
    model, tokenizer = loader(model_dir, args, record)
    return model, tokenizer, record


def check_requirements(record: ModelRecord) -> None:
    """Raise a readable error when a package the record ``requires`` is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    missing = []
    for text in record.requires:
        req = Requirement(text)
        try:
            installed = version(req.name)
        except PackageNotFoundError:
            missing.append(text)
            continue
        if req.specifier and not req.specifier.contains(installed, prereleases=True):
            missing.append(f"{text} (installed: {installed})")
    if missing:
        raise UsageError(
            f"model type {record.name!r} needs {', '.join(missing)}: pip install "
            + " ".join(f"'{m.split(' (')[0]}'" for m in missing)
        )


def load_tokenizer(model_dir: str, args: Any = None):
    """``AutoTokenizer`` for ``model_dir`` with a pad token (eos when it has none)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir, trust_remote_code=True, **_revision(args))
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        # Batched training and generation pad; reusing eos is what chat models expect.
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _revision(args: Any) -> dict:
    revision = getattr(args, "model_revision", None)
    return {"revision": revision} if revision else {}


def load_causal_lm(model_dir: str, args: Any, record: ModelRecord) -> tuple[Any, Any]:
    """The loader of ``AutoModelForCausalLM`` checkpoints; records name it in ``load``.

    With ``--task_type seq_cls`` (or ``--num_labels``, or a classification checkpoint) the
    checkpoint is loaded with ``AutoModelForSequenceClassification`` instead
    (:mod:`swift_transformers.models.tasks`): ``num_labels``, ``problem_type`` and the
    tokenizer's pad id (the head reads the last token that is not padding) go into the config.

    Applies ``--torch_dtype`` (unset → the config's dtype), ``--attn_impl`` (unset →
    ``sdpa``), ``--rope_scaling`` with ``--max_length``, ``--device_map``, ``--quant_method``
    with ``--quant_bits``, ``--local_repo_path`` and ``--model_kwargs`` (merged last, so
    it overrides). Remote code is trusted, as ms-swift does.

    Args:
        model_dir: Local checkpoint folder.
        args: Arguments with the model and quantization flags.
        record: The model record chosen for the checkpoint.

    Returns:
        ``(model, tokenizer)``.
    """
    return load_pretrained(model_dir, args, record)


def load_pretrained(
    model_dir: str, args: Any, record: ModelRecord, *, auto_class: Any = None, model_kwargs: dict | None = None
) -> tuple[Any, Any]:
    """:func:`load_causal_lm` with another transformers auto class (vision-language models' own).

    ``model_kwargs`` replaces ``--model_kwargs`` (a loader that reads some entries itself passes the rest).
    """
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSequenceClassification

    from swift_transformers.models.tasks import classification_task

    options.add_local_repo_path(getattr(args, "local_repo_path", None))
    check_model_files(model_dir, verify=getattr(args, "check_model", True))
    try:
        config = AutoConfig.from_pretrained(model_dir, trust_remote_code=True, **_revision(args))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the config of {model_dir!r} (model type {record.name!r}): {exc}") from exc
    dtype = options.torch_dtype(getattr(args, "torch_dtype", None))
    # Config overrides travel as keywords (not a config object) so that --model_kwargs
    # entries naming config attributes update the config, as from_pretrained does.
    kwargs: dict[str, Any] = {
        "dtype": dtype or "auto",
        "attn_implementation": options.attn_implementation(getattr(args, "attn_impl", None), config),
        "trust_remote_code": True,
        **_revision(args),
    }
    rope = options.rope_parameters(config, getattr(args, "rope_scaling", None), getattr(args, "max_length", None))
    if rope is not None:
        kwargs["rope_parameters"] = rope
    device_map = options.device_map(getattr(args, "device_map", None))
    if device_map is not None:
        kwargs["device_map"] = device_map
    quant = options.quantization_config(args, dtype or options.config_dtype(config))
    if quant is not None:
        kwargs["quantization_config"] = quant
    kwargs.update(_router_settings(config, getattr(args, "router_aux_loss_coef", 0.0), record))
    tokenizer = load_tokenizer(model_dir, args)
    task = classification_task(args, model_dir)
    if task is not None and auto_class is not None:
        raise UsageError(f"--task_type seq_cls: model type {record.name!r} has no sequence-classification head")
    auto_class = auto_class or AutoModelForCausalLM
    if task is not None:
        auto_class = AutoModelForSequenceClassification
        kwargs.update(num_labels=task.num_labels, problem_type=task.problem_type, pad_token_id=tokenizer.pad_token_id)
    kwargs.update(model_kwargs if model_kwargs is not None else getattr(args, "model_kwargs", None) or {})
    fp8 = getattr(args, "quant_method", None) == "fp8"
    if fp8:
        _check_fp8_device()
    try:
        model = auto_class.from_pretrained(model_dir, **kwargs)
    except SwiftError:
        raise
    except (OSError, ValueError, ImportError) as exc:
        raise UsageError(
            f"cannot load {model_dir!r} as model type {record.name!r}: {type(exc).__name__}: {exc}"
        ) from exc
    if fp8:
        from swift_transformers.models.fp8 import quantize_fp8

        done = quantize_fp8(model)
        print(
            f"swift: fp8: {done['layers']} linear layers stored in FP8 ({done['bytes_before'] / 2**30:.2f} → "
            f"{done['bytes_after'] / 2**30:.2f} GiB), {done['kept']} kept (the output head, sizes not multiples of 16)",
            file=sys.stderr,
        )
    if getattr(model, "generation_config", None) is not None and model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    _print_summary(model, record, kwargs, model_template(getattr(args, "template", None), record.template, tokenizer))
    return model, tokenizer


def _check_fp8_device() -> None:
    """FP8 matrix multiplication needs compute capability 8.9 (Ada, Hopper) on a CUDA GPU."""
    import torch

    if torch.cuda.is_available() and torch.cuda.get_device_capability() < (8, 9):
        name = torch.cuda.get_device_name()
        raise UsageError(f"--quant_method fp8 needs an Ada or Hopper GPU (compute capability 8.9+); {name} is older")


def _router_settings(config: Any, coef: float, record: ModelRecord) -> dict[str, Any]:
    """``--router_aux_loss_coef``: MoE models add the router load-balancing loss to theirs."""
    if not coef:
        return {}
    if not hasattr(config.get_text_config(), "router_aux_loss_coef"):
        raise UsageError(
            f"--router_aux_loss_coef {coef}: model type {record.name!r} has no router (not a mixture of experts)"
        )
    return {"router_aux_loss_coef": float(coef), "output_router_logits": True}


def _print_summary(model: Any, record: ModelRecord, kwargs: dict, template: str) -> None:
    # One line so a user sees which model type, template, dtype and attention are in effect.
    attn = getattr(model.config, "_attn_implementation", kwargs.get("attn_implementation"))
    dtype = getattr(model, "dtype", None)
    head = ""
    if "num_labels" in kwargs:
        head = f", classification head: {kwargs['num_labels']} labels, {kwargs['problem_type']}"
    print(
        f"swift: loaded model type {record.name!r} (template {template!r}, dtype {dtype}, attention {attn}{head})",
        file=sys.stderr,
    )
