"""Weight sync: what the rollout engine must receive after the policy changed.

A local engine generates with the policy object itself, so it needs nothing. A
rollout server holds its own copy of the model; after each optimizer step the
trainer pushes either

* ``full`` weights — the parameters training changed, named as in the plain
  transformers model, with adapters merged in (``merge_adapter`` / ``unmerge_adapter``
  around the read, so training continues on the unmerged adapter); or
* a ``lora`` adapter — what the tuner's ``save`` writes (PiSSA/OLoRA converted to a
  plain LoRA of the original base), when the server lists ``lora`` in ``/health``.
"""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import torch

from swift.kernel import UsageError


def _peft_types() -> tuple[type, type, type]:
    from peft import PeftModel
    from peft.tuners.tuners_utils import BaseTunerLayer
    from peft.utils import ModulesToSaveWrapper

    return PeftModel, BaseTunerLayer, ModulesToSaveWrapper


def changed_weights(model: Any) -> dict[str, torch.Tensor]:
    """The weights training can have changed, as a plain model names them (CPU copies).

    For a peft model: the merged weight of every adapted module plus modules trained
    in full (``--modules_to_save``). Otherwise: every parameter that requires grad.

    Raises:
        UsageError: For an adapter method peft cannot merge.
    """
    peft_model_cls, tuner_layer_cls, saved_cls = _peft_types()
    if not isinstance(model, peft_model_cls):
        return {
            name: p.detach().to("cpu", copy=True).contiguous()
            for name, p in model.named_parameters()
            if p.requires_grad
        }
    inner = model.get_base_model()
    sources: list[tuple[str, Any]] = []
    for name, module in inner.named_modules():
        if isinstance(module, tuner_layer_cls):
            sources.append((name, module.get_base_layer()))
        elif isinstance(module, saved_cls):
            sources.append((name, module.modules_to_save[module.active_adapter]))
    # unmerging subtracts the delta again, which is not exact in floating point: keep the
    # original base weights and put them back, so syncing never drifts the frozen base
    originals = [(param, param.detach().clone()) for _, source in sources for param in source.parameters(recurse=False)]
    try:
        model.merge_adapter()
    except (NotImplementedError, ValueError) as exc:
        raise UsageError(
            f"cannot merge this adapter to push full weights to the rollout server ({exc}); "
            "use a server that accepts LoRA adapters or --train_type lora/full"
        ) from exc
    try:
        return {
            f"{name}.{pname}": param.detach().to("cpu", copy=True).contiguous()
            for name, source in sources
            for pname, param in source.named_parameters(recurse=False)
        }
    finally:
        model.unmerge_adapter()
        with torch.no_grad():
            for param, original in originals:
                param.copy_(original)


def split_weights(weights: dict[str, torch.Tensor], parts: int) -> list[dict[str, torch.Tensor]]:
    """``weights`` in ``parts`` pieces of similar byte size (``--move_model_batches``)."""
    parts = max(1, min(parts, len(weights) or 1))
    chunks: list[dict[str, torch.Tensor]] = [{} for _ in range(parts)]
    sizes = [0] * parts
    for name, tensor in sorted(weights.items(), key=lambda kv: -kv[1].numel()):
        i = sizes.index(min(sizes))
        chunks[i][name] = tensor
        sizes[i] += tensor.numel() * tensor.element_size()
    return [c for c in chunks if c]


def push_full(client: Any, model: Any, batches: int | None = None) -> dict[str, Any]:
    """Send the merged changed weights of ``model`` as safetensors, in ``batches`` requests."""
    from safetensors.torch import save

    chunks = split_weights(changed_weights(model), batches or 1)
    answer: dict[str, Any] = {}
    for i, chunk in enumerate(chunks, 1):
        answer = client.push_safetensors(save(chunk), "full", chunk=(i, len(chunks)))
    return answer


def push_adapter(client: Any, model: Any, tuner: Any) -> dict[str, Any]:
    """Send the adapter as the tuner saves it (a plain peft LoRA checkpoint)."""
    with tempfile.TemporaryDirectory(prefix="swift-rollout-") as folder:
        tuner.save(model, folder, selected_adapters=["default"])
        with open(os.path.join(folder, "adapter_config.json"), encoding="utf-8") as fh:
            config = json.load(fh)
        with open(os.path.join(folder, "adapter_model.safetensors"), "rb") as fh:
            data = fh.read()
    return client.push_safetensors(data, "lora", lora_config=config)


def is_lora(model: Any) -> bool:
    """Whether ``model`` is a peft model whose trained adapter is a LoRA."""
    config = (getattr(model, "peft_config", None) or {}).get("default")
    return config is not None and config.peft_type == "LORA"


def push_policy(client: Any, model: Any, tuner: Any, batches: int | None = None) -> dict:
    """Push the current policy the cheapest way the server accepts."""
    if is_lora(model) and client.supports("lora"):
        return push_adapter(client, model, tuner)
    return push_full(client, model, batches)
