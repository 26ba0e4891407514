"""Which modules a tuner adapts: ``--target_modules``, ``--target_regex``, ``--modules_to_save``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import torch

from swift.kernel import UsageError

if TYPE_CHECKING:
    from swift_peft.settings import TargetSettings

ALL_LINEAR = "all-linear"
# Heads that produce the model's output; they are trained whole (modules_to_save), never adapted.
HEAD_NAMES = frozenset({"lm_head", "score", "v_head", "classifier"})
# MoE routers (and Qwen-MoE's shared-expert gate): adapting them unsettles expert load balance,
# so all-linear leaves them out (name one in --target_modules to adapt it anyway).
ROUTER_NAMES = frozenset({"gate", "router", "shared_expert_gate"})


def _output_module_names(model: torch.nn.Module) -> set[str]:
    """Names of the output-embedding module(s), found by identity so tied heads are caught too."""
    getter = getattr(model, "get_output_embeddings", None)
    output = getter() if callable(getter) else None
    if output is None:
        return set()
    return {name for name, module in model.named_modules() if module is output}


def linear_module_names(model: torch.nn.Module, targets: TargetSettings | None = None) -> list[str]:
    """Full names of every ``torch.nn.Linear`` except the output head(s), MoE routers and frozen parts.

    Args:
        model: A transformers model (or any module).
        targets: With a vision-language model, the parts its ``--freeze_*`` flags freeze
            (the vision tower and aligner by default) are left out.

    Returns:
        Module names such as ``model.layers.0.self_attn.q_proj``, in model order.
    """
    from swift.contracts.parts import is_frozen

    excluded = _output_module_names(model)
    parts, frozen = targets.frozen_parts(model) if targets is not None else (None, ())
    return [
        name
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
        and name not in excluded
        and name.rsplit(".", 1)[-1] not in HEAD_NAMES | ROUTER_NAMES
        and not is_frozen(name, parts, frozen)
    ]


def _matches(name: str, key: str) -> bool:
    # peft's rule for a list entry: the whole name, or its dotted suffix
    return name == key or name.endswith("." + key)


def expand_all_linear(model: torch.nn.Module, targets: TargetSettings | None = None) -> list[str]:
    """``all-linear`` as the short suffixes peft matches (``q_proj``, ``down_proj`` …).

    Suffixes keep ``adapter_config.json`` readable and model-size independent. When
    a suffix would also catch an excluded module (an output head sharing its short
    name, a layer of a frozen vision tower), the full names are returned instead so
    it is never adapted.

    Raises:
        UsageError: When the ``--freeze_*`` flags leave no linear layer to adapt.
    """
    linears = linear_module_names(model, targets)
    if not linears and targets is not None and targets.frozen_parts(model)[1]:
        raise UsageError("--freeze_llm, --freeze_vit and --freeze_aligner freeze every part: nothing left to train")
    suffixes = sorted({name.rsplit(".", 1)[-1] for name in linears})
    chosen = set(linears)
    for name, _ in model.named_modules():
        if name and name not in chosen and any(_matches(name, s) for s in suffixes):
            return linears
    return suffixes


def _check_names(model: torch.nn.Module, keys: list[str], flag: str) -> None:
    names = [name for name, _ in model.named_modules() if name]
    missing = [key for key in keys if not any(_matches(name, key) for name in names)]
    if missing:
        available = sorted({n.rsplit(".", 1)[-1] for n in linear_module_names(model)})
        raise UsageError(
            f"--{flag} {' '.join(missing)}: no module of the model has that name. "
            f"Linear modules: {', '.join(available)} (or use {ALL_LINEAR})."
        )


def resolve_target_modules(model: torch.nn.Module, targets: TargetSettings) -> list[str] | str:
    """The peft ``target_modules`` for ``targets``: a regex string or a list of names.

    ``--target_regex`` wins over ``--target_modules`` (peft full-matches a string
    against each module name); ``all-linear`` in ``--target_modules`` expands to
    every linear layer but the output head and may be combined with other names.

    Raises:
        UsageError: For a regex that does not compile or matches nothing, or names
            that match no module.
    """
    regex = targets.target_regex
    if regex:
        try:
            pattern = re.compile(regex)
        except re.error as exc:
            raise UsageError(f"--target_regex {regex!r} is not a valid regular expression: {exc}") from exc
        if not any(pattern.fullmatch(name) for name, _ in model.named_modules() if name):
            raise UsageError(
                f"--target_regex {regex!r} matches no module name; it must match a whole "
                f"name such as {linear_module_names(model)[0]!r}."
            )
        return regex
    keys = list(targets.target_modules or [ALL_LINEAR])
    explicit = [key for key in keys if key != ALL_LINEAR]
    _check_names(model, explicit, "target_modules")
    if ALL_LINEAR not in keys:
        return explicit
    expanded = expand_all_linear(model, targets)
    return expanded + [key for key in explicit if key not in expanded]


def resolve_modules_to_save(model: torch.nn.Module, targets: TargetSettings) -> list[str] | None:
    """``--modules_to_save`` checked against the model; None when empty (peft's default)."""
    keys = list(targets.modules_to_save)
    _check_names(model, keys, "modules_to_save")
    return keys or None


def task_type(model: torch.nn.Module) -> str | None:
    """The peft task type for a transformers model class, so peft picks the matching wrapper."""
    cls = type(model).__name__
    if cls.endswith("ForCausalLM"):
        return "CAUSAL_LM"
    if cls.endswith("ForSequenceClassification"):
        return "SEQ_CLS"
    return None
