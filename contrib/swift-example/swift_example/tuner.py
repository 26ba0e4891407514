"""``example-lora``: swift-peft's LoRA tuner with other defaults (rank 4, alpha 8, all-linear).

Reusing the tuner keeps its save/load/merge (and PiSSA, DoRA … flags) as they are;
only the configuration changes. A flag the user left at swift's default takes this
preset's value; any other value the user passed wins.
"""

from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass
from typing import Any

from swift_peft.api import LoraTuner

PRESET: dict[str, Any] = {"lora_rank": 4, "lora_alpha": 8, "target_modules": ["all-linear"]}


class _PresetArgs:
    """A read-only view of ``args`` where the preset fills fields left at swift's defaults."""

    def __init__(self, args: Any, overrides: dict[str, Any]) -> None:
        self._args, self._overrides = args, overrides

    def __getattr__(self, name: str) -> Any:
        if name in self._overrides:
            return self._overrides[name]
        return getattr(self._args, name)


def _swift_default(args: Any, name: str) -> Any:
    for f in fields(args):
        if f.name == name:
            return f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
    return MISSING


def with_preset(args: Any) -> Any:
    """``args`` with the preset applied to the fields still at their defaults."""
    if not is_dataclass(args):
        return _PresetArgs(args, dict(PRESET))
    overrides = {k: v for k, v in PRESET.items() if getattr(args, k, MISSING) == _swift_default(args, k)}
    return _PresetArgs(args, overrides)


class ExampleLoraTuner(LoraTuner):
    """LoRA whose configuration starts from :data:`PRESET`."""

    def config(self, model: Any, args: Any, **kwargs: Any) -> Any:
        """The LoRA config of the preset: flags left at swift's defaults take the preset's values."""
        return super().config(model, with_preset(args), **kwargs)


EXAMPLE_LORA = ExampleLoraTuner()
