"""How each vision-language family turns images into model inputs and placeholder tokens.

A :class:`VisionFamily` is data: the placeholder token the processor repeats once per visual
token and the text around it; :class:`ImageInputs` binds it to a checkpoint's image processor
(with ``--max_pixels``) and returns, for a list of images, the model's tensors and how many
placeholder tokens each image takes — what the family's own processor class computes.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

from swift.contracts.parts import ModelParts
from swift.kernel import UsageError
from swift_transformers.vision.media import MediaError

#: ms-swift's environment names for the image bounds (``MAX_PIXELS=...``); ``--max_pixels`` wins.
MAX_PIXELS_ENV = "MAX_PIXELS"
MIN_PIXELS_ENV = "MIN_PIXELS"


@dataclass(frozen=True)
class VisionFamily:
    """A family's image placeholders.

    Attributes:
        name: The family (``qwen2_vl``).
        image_token: The token repeated once per visual token (``<|image_pad|>``).
        image_open: Text before an image's tokens (``<|vision_start|>``).
        image_close: Text after them (``<|vision_end|>``).
        merge_size_key: The image processor attribute that divides the patch grid into tokens.
        parts: Where the language model, vision tower and aligner live in the model (freezing).
    """

    name: str
    image_token: str
    image_open: str = ""
    image_close: str = ""
    merge_size_key: str = "merge_size"
    parts: ModelParts | None = None

    @property
    def image_text(self) -> str:
        """What an ``<image>`` tag becomes before expansion: one placeholder between the markers."""
        return f"{self.image_open}{self.image_token}{self.image_close}"


QWEN2_VL = VisionFamily(
    "qwen2_vl",
    "<|image_pad|>",
    "<|vision_start|>",
    "<|vision_end|>",
    parts=ModelParts(
        language_model=("model.language_model.", "lm_head"),
        vision_tower=("model.visual.",),
        aligner=("model.visual.merger.",),
    ),
)
QWEN3_VL = VisionFamily(
    "qwen3_vl",
    "<|image_pad|>",
    "<|vision_start|>",
    "<|vision_end|>",
    parts=ModelParts(
        language_model=("model.language_model.", "lm_head"),
        vision_tower=("model.visual.",),
        aligner=("model.visual.merger.", "model.visual.deepstack_merger_list."),
    ),
)
#: Model type → family (the loader attaches the family's parts; checks read it before loading).
FAMILIES = {"qwen2_vl": QWEN2_VL, "qwen2_5_vl": QWEN2_VL, "qwen3_vl": QWEN3_VL, "qwen3_vl_moe": QWEN3_VL}


@functools.lru_cache(maxsize=8)
def image_processor(model_dir: str) -> Any:
    """The checkpoint's image processor (``preprocessor_config.json``); the PIL one without torchvision."""
    from transformers import AutoImageProcessor

    if not os.path.isfile(os.path.join(model_dir, "preprocessor_config.json")):
        raise UsageError(
            f"{model_dir} has no preprocessor_config.json: a vision-language checkpoint needs its image processor"
        )
    try:
        return AutoImageProcessor.from_pretrained(model_dir)
    except (OSError, ValueError, ImportError) as exc:
        raise UsageError(f"cannot load the image processor of {model_dir}: {type(exc).__name__}: {exc}") from exc


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"{name}={value!r} must be a whole number of pixels") from None


class ImageInputs:
    """Images → ``(tensors, placeholder tokens per image)`` for one checkpoint.

    Args:
        processor: The checkpoint's image processor.
        family: The family's placeholders.
        max_pixels: ``--max_pixels`` (else ``MAX_PIXELS``, else the processor's own bound).
    """

    def __init__(self, processor: Any, family: VisionFamily, max_pixels: int | None = None):
        self.processor, self.family = processor, family
        max_pixels = max_pixels if max_pixels is not None else _env_int(MAX_PIXELS_ENV)
        min_pixels = _env_int(MIN_PIXELS_ENV)
        size = dict(getattr(processor, "size", None) or {})
        if max_pixels is not None:
            if max_pixels <= 0:
                raise UsageError(f"--max_pixels must be positive, got {max_pixels}")
            size["longest_edge"] = max_pixels
        if min_pixels is not None:
            size["shortest_edge"] = min_pixels
        if "longest_edge" in size and "shortest_edge" in size:
            size["shortest_edge"] = min(size["shortest_edge"], size["longest_edge"])
        self.size = size or None
        self.max_pixels = max_pixels

    def __call__(self, images: list[Any]) -> tuple[dict[str, Any], list[int]]:
        """The model's image tensors and the token count of each image."""
        kwargs = {"size": self.size} if self.size else {}
        try:
            features = self.processor(images=images, return_tensors="pt", **kwargs)
        except (ValueError, TypeError, OSError) as exc:
            raise MediaError(f"the image processor rejects an image: {exc}") from None
        merge = int(getattr(self.processor, self.family.merge_size_key, 1) or 1)
        grid = features["image_grid_thw"]
        counts = [int(n) // (merge * merge) for n in grid.prod(-1).tolist()]
        return dict(features), counts
