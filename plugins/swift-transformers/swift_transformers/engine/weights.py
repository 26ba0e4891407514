"""Weight updates of a serving model: full tensors by their plain names, LoRA adapters as folders.

A trainer names weights as the plain transformers model does
(``model.layers.0.self_attn.q_proj.weight``), whatever wraps the served model: once
LoRA adapters are attached, peft keeps the original weight under
``...q_proj.base_layer.weight``. :func:`plain_weights` maps the plain names onto the
live tensors so :func:`load_weights` can copy into them in place.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import torch

from swift.protocol import InvalidRequestError

# path parts peft inserts around the original module; dropped to get the plain name
_WRAPPER_PARTS = frozenset({"base_layer", "original_module"})


def _unwrapped(model: Any) -> Any:
    get_base = getattr(model, "get_base_model", None)
    return get_base() if callable(get_base) else model


def plain_weights(model: Any) -> dict[str, torch.Tensor]:
    """The model's tensors (parameters and persistent buffers) by their plain names.

    Adapter weights (``lora_A``, ``lora_B``, DoRA magnitudes …) and peft's trained
    copies of ``modules_to_save`` are left out: they are not the model's own weights.
    Tied weights appear under each name and share one tensor.
    """
    weights: dict[str, torch.Tensor] = {}
    for name, tensor in _unwrapped(model).state_dict(keep_vars=True).items():
        parts = name.split(".")
        if "modules_to_save" in parts or any(p.startswith("lora_") for p in parts):
            continue
        plain = ".".join(p for p in parts if p not in _WRAPPER_PARTS)
        weights.setdefault(plain, tensor)
    return weights


def load_weights(model: Any, named_tensors: Iterable[tuple[str, Any]]) -> int:
    """Copy ``(name, tensor)`` pairs into ``model`` in place, cast to its dtype and device.

    Every name and shape is checked before the first copy, so a bad update changes nothing.

    Returns:
        The number of tensors copied.

    Raises:
        InvalidRequestError: An unknown name or a shape that does not match.
    """
    targets = plain_weights(model)
    updates = list(named_tensors)
    unknown = sorted({name for name, _ in updates if name not in targets})
    if unknown:
        known = ", ".join(sorted(targets)[:3])
        raise InvalidRequestError(
            f"the model has no weight named {', '.join(unknown[:5])}"
            f"{' …' if len(unknown) > 5 else ''}; send the names of the plain transformers "
            f"model's state_dict (e.g. {known})"
        )
    for name, tensor in updates:
        if tuple(tensor.shape) != tuple(targets[name].shape):
            raise InvalidRequestError(
                f"weight {name} has shape {list(tensor.shape)}, the model's is {list(targets[name].shape)}"
            )
    with torch.no_grad():
        for name, tensor in updates:
            targets[name].copy_(tensor)  # copy_ casts dtype and moves device
    return len(updates)


@contextlib.contextmanager
def adapter_folder(adapter: str | os.PathLike | Mapping[str, Any], config: Mapping[str, Any] | None) -> Iterator[str]:
    """A folder peft can load: ``adapter`` itself, or its tensors and config written out.

    Raises:
        InvalidRequestError: Tensors without a config, or a folder that is not one.
    """
    if isinstance(adapter, (str, os.PathLike)):
        path = os.fspath(adapter)
        if not os.path.isfile(os.path.join(path, "adapter_config.json")):
            raise InvalidRequestError(f"{path!r} is not a peft adapter folder (no adapter_config.json)")
        yield path
        return
    if config is None:
        raise InvalidRequestError("an adapter given as tensors needs its adapter_config.json content (config=)")
    from safetensors.torch import save_file

    with tempfile.TemporaryDirectory(prefix="swift-adapter-") as folder:
        tensors = {k: v.detach().contiguous() for k, v in adapter.items()}
        save_file(tensors, os.path.join(folder, "adapter_model.safetensors"))
        with open(os.path.join(folder, "adapter_config.json"), "w", encoding="utf-8") as fh:
            json.dump(dict(config), fh)
        yield folder
