"""The parts of a multimodal model (language model, vision tower, aligner), for freezing.

A model loader that knows its architecture's layout attaches a :class:`ModelParts` to the
model it returns (``model.swift_parts``); tuners read it through :func:`model_parts` and
leave the frozen parts alone (``--freeze_vit``, ``--freeze_aligner``, ``--freeze_llm``):
``all-linear`` adapts no module of a frozen part, full training keeps its weights fixed.
A text model has no parts: everything is the language model. Pure Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ATTRIBUTE = "swift_parts"


@dataclass(frozen=True)
class ModelParts:
    """Module-name prefixes of each part (names as ``model.named_modules()`` gives them).

    Attributes:
        language_model: The text decoder and its head (``model.language_model.``, ``lm_head``).
        vision_tower: The vision encoder, without the aligner (``model.visual.``).
        aligner: The projector between them (``model.visual.merger.``); it wins over
            ``vision_tower`` where prefixes nest.
    """

    language_model: tuple[str, ...]
    vision_tower: tuple[str, ...] = ()
    aligner: tuple[str, ...] = ()

    def part_of(self, name: str) -> str | None:
        """``"aligner"``, ``"vision_tower"``, ``"language_model"`` or None for the module ``name``."""
        for part in ("aligner", "vision_tower", "language_model"):
            if any(name == p.rstrip(".") or name.startswith(p) for p in getattr(self, part)):
                return part
        return None

    def frozen(self, *, freeze_llm: bool, freeze_vit: bool, freeze_aligner: bool) -> tuple[str, ...]:
        """The parts the flags freeze."""
        flags = {"language_model": freeze_llm, "vision_tower": freeze_vit, "aligner": freeze_aligner}
        return tuple(part for part, on in flags.items() if on and getattr(self, part))


def model_parts(model: Any) -> ModelParts | None:
    """The parts a loader attached to ``model`` (through peft/DDP wrappers too), or None for a text model."""
    seen = 0
    while model is not None and seen < 8:
        parts = getattr(model, "__dict__", {}).get(ATTRIBUTE)
        if isinstance(parts, ModelParts):
            return parts
        model = getattr(model, "module", None) or getattr(model, "base_model", None) or getattr(model, "model", None)
        seen += 1
    return None


def is_frozen(name: str, parts: ModelParts | None, frozen: tuple[str, ...]) -> bool:
    """Whether the module or parameter ``name`` belongs to one of the ``frozen`` parts."""
    return parts is not None and bool(frozen) and parts.part_of(name) in frozen
