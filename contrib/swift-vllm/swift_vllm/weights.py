"""Weight updates in transformers names, made safe for vLLM's in-place reload.

vLLM fuses sibling weights into one kernel tensor (``q_proj``/``k_proj``/``v_proj`` →
``qkv_proj``) and reloads a layer only once *all* its parts arrived: a partial
update (a trainer pushing just ``q_proj`` and ``v_proj``) would leave the missing
part uninitialised. :class:`WeightBook` therefore completes every update with the
current value of each sibling under the same parent module — the last pushed value,
else the original from the checkpoint on disk (read lazily, never all at once).

It also checks names and shapes against the checkpoint before anything changes,
and turns a peft LoRA adapter into merged weights relative to the original base.
"""

from __future__ import annotations

import glob
import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from swift.protocol import InvalidRequestError


def _parent(name: str) -> str:
    # "model.layers.0.self_attn.q_proj.weight" → "model.layers.0.self_attn"
    return name.rsplit(".", 2)[0] if name.count(".") >= 2 else ""


class WeightBook:
    """The checkpoint's tensor names, shapes and current values.

    Args:
        model_dir: The checkpoint folder (``*.safetensors`` files).
    """

    def __init__(self, model_dir: str) -> None:
        from safetensors import safe_open

        self.model_dir = model_dir
        self.files: dict[str, str] = {}
        self.shapes: dict[str, tuple[int, ...]] = {}
        for path in sorted(glob.glob(os.path.join(model_dir, "*.safetensors"))):
            with safe_open(path, framework="pt") as fh:
                for name in fh.keys():  # noqa: SIM118 - safe_open has no __iter__
                    self.files[name] = path
                    self.shapes[name] = tuple(fh.get_slice(name).get_shape())
        self._children: dict[str, list[str]] = {}
        for name in self.shapes:
            self._children.setdefault(_parent(name), []).append(name)
        self.pushed: dict[str, Any] = {}

    def check(self, tensors: Mapping[str, Any]) -> None:
        """Raise :class:`InvalidRequestError` for an unknown name or a wrong shape."""
        if not self.shapes:
            raise InvalidRequestError(f"{self.model_dir} has no *.safetensors files to check weight updates against")
        unknown = sorted(n for n in tensors if n not in self.shapes)
        if unknown:
            shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
            raise InvalidRequestError(
                f"the model has no weight named {shown}; names must be those of the plain "
                "transformers model's state_dict (e.g. model.layers.0.mlp.up_proj.weight)"
            )
        for name, tensor in tensors.items():
            if tuple(tensor.shape) != self.shapes[name]:
                raise InvalidRequestError(
                    f"weight {name} has shape {tuple(tensor.shape)}, the model's is {self.shapes[name]}"
                )

    def original(self, name: str) -> Any:
        """The checkpoint's value of ``name``."""
        from safetensors import safe_open

        with safe_open(self.files[name], framework="pt") as fh:
            return fh.get_tensor(name)

    def current(self, name: str) -> Any:
        """The value the served model has for ``name`` (last pushed, else original)."""
        value = self.pushed.get(name)
        return value if value is not None else self.original(name)

    def complete(self, tensors: Mapping[str, Any]) -> dict[str, Any]:
        """``tensors`` plus the current value of every sibling they leave out, for vLLM.

        Also records ``tensors`` as the current values (call after the reload worked).
        """
        update = dict(tensors)
        for parent in {_parent(n) for n in tensors}:
            for sibling in self._children.get(parent, ()):
                if sibling not in update:
                    update[sibling] = self.current(sibling)
        return update

    def remember(self, tensors: Mapping[str, Any]) -> None:
        """Record pushed values (CPU copies) as the served model's current ones."""
        for name, tensor in tensors.items():
            self.pushed[name] = tensor.detach().to("cpu")


def read_adapter(adapter: str | Mapping[str, Any], config: Mapping[str, Any] | None):
    """``(tensors, config)`` of a peft adapter folder, or of tensors plus their config."""
    if isinstance(adapter, (str, os.PathLike)):
        folder = os.fspath(adapter)
        config_path = os.path.join(folder, "adapter_config.json")
        if not os.path.isfile(config_path):
            raise InvalidRequestError(f"{folder!r} is not a peft adapter (no adapter_config.json)")
        with open(config_path, encoding="utf-8") as fh:
            config = json.load(fh)
        weights = os.path.join(folder, "adapter_model.safetensors")
        if not os.path.isfile(weights):
            raise InvalidRequestError(f"{folder!r} has no adapter_model.safetensors")
        from safetensors.torch import load_file

        return load_file(weights), dict(config)
    if config is None:
        raise InvalidRequestError("an adapter given as tensors needs its adapter_config.json")
    return dict(adapter), dict(config)


def _pattern_value(module: str, patterns: Mapping[str, Any], default: Any) -> Any:
    # peft's rank_pattern / alpha_pattern: a key matches the end of the module path
    for key, value in (patterns or {}).items():
        if re.match(rf"(.*\.)?{key}$", module):
            return value
    return default


def merge_lora(book: WeightBook, tensors: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """Full weights of every module the LoRA adapter touches: ``W0 + scale · B @ A``.

    ``W0`` is the *original* base weight, so a new adapter replaces the previous one.
    Modules trained in full (``modules_to_save``) come back as they are.

    Raises:
        InvalidRequestError: For an adapter that is not a plain LoRA.
    """
    if config.get("peft_type", "LORA") != "LORA" or config.get("use_dora"):
        raise InvalidRequestError("the vllm engine merges plain LoRA adapters only (no DoRA …)")
    if config.get("fan_in_fan_out"):
        raise InvalidRequestError("LoRA adapters with fan_in_fan_out are not supported")
    pairs: dict[str, dict[str, Any]] = {}
    merged: dict[str, Any] = {}
    for key, value in tensors.items():
        name = key.removeprefix("base_model.model.")
        match = re.match(r"(.+)\.lora_([AB])(?:\.[^.]+)?\.weight$", name)
        if match:
            pairs.setdefault(match.group(1), {})[match.group(2)] = value
        elif ".lora_" not in name:
            merged[name.replace(".modules_to_save.default", "")] = value
    r, alpha = config.get("r", 8), config.get("lora_alpha", 8)
    for module, ab in pairs.items():
        if set(ab) != {"A", "B"}:
            raise InvalidRequestError(f"adapter module {module} lacks lora_A or lora_B")
        rank = _pattern_value(module, config.get("rank_pattern"), r)
        scale = _pattern_value(module, config.get("alpha_pattern"), alpha)
        scale = scale / (rank**0.5 if config.get("use_rslora") else rank)
        target = f"{module}.weight"
        if target not in book.shapes:
            raise InvalidRequestError(f"the adapter targets {module}, which the model lacks")
        base = book.original(target)
        delta = (ab["B"].float() @ ab["A"].float()) * scale
        merged[target] = (base.float() + delta).to(base.dtype)
    return merged


def named_pairs(named_tensors: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """A dict of ``(name, tensor)`` pairs, refusing one name given twice."""
    result: dict[str, Any] = {}
    for name, tensor in named_tensors:
        if name in result:
            raise InvalidRequestError(f"weight {name} is given twice")
        result[name] = tensor
    return result
