"""The loader of vision-language checkpoints (``AutoModelForImageTextToText``; audio: ``AutoModelForMultimodalLM``)."""

from __future__ import annotations

import os
from typing import Any

from swift.contracts.parts import ATTRIBUTE
from swift.kernel import ModelRecord, UsageError
from swift_transformers.vision.processors import FAMILIES, auto_processor, image_processor
from swift_transformers.vision.video import VIDEO_ENV

#: ms-swift's model-specific settings of image models, given as --model_kwargs or environment variables
MEDIA_SETTINGS = {"max_pixels": "MAX_PIXELS", "min_pixels": "MIN_PIXELS"}
#: Video settings of ms-swift's list (:mod:`.video`), as --model_kwargs or environment variables
VIDEO_SETTINGS = tuple(name.lower() for name in VIDEO_ENV)


def media_settings(model_kwargs: dict | None, *, fixed_size: bool = False, videos: bool = False) -> dict:
    """``--model_kwargs`` without the image and video settings, which become their environment variables.

    ``{"MAX_PIXELS": 401408}`` (any case) is what ``MAX_PIXELS=401408`` is in ms-swift; the image
    inputs read it (``--max_pixels`` wins); ``{"FPS_MAX_FRAMES": 16}`` likewise for videos. The rest
    goes to ``from_pretrained``.

    Args:
        model_kwargs: ``--model_kwargs``.
        fixed_size: The family resizes every image to one size (no image bound to set).
        videos: The family reads videos (Qwen2-VL, Qwen2.5-VL, Qwen3-VL, Qwen3.5).

    Raises:
        UsageError: For a video setting where videos are not read, a value that is not a number,
            or an image bound for a family that resizes every image to one size (``fixed_size``).
    """
    rest = {}
    for key, value in (model_kwargs or {}).items():
        name = key.lower()
        if name in MEDIA_SETTINGS:
            if fixed_size:
                raise UsageError(
                    f"--model_kwargs {key}: this model resizes every image to one size (or by its processor's own "
                    "settings); nothing to bound"
                )
            try:
                os.environ[MEDIA_SETTINGS[name]] = str(int(value))
            except (TypeError, ValueError):
                raise UsageError(f"--model_kwargs {key}={value!r} must be a whole number of pixels") from None
        elif name in VIDEO_SETTINGS:
            if not videos:
                raise UsageError(f"--model_kwargs {key}: videos are not read yet for this model (the Qwen-VL families)")
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise UsageError(f"--model_kwargs {key}={value!r} must be a number") from None
            if number <= 0:
                raise UsageError(f"--model_kwargs {key}={value!r} must be positive")
            os.environ[name.upper()] = str(number) if name == "fps" else str(int(number))
        else:
            rest[key] = value
    return rest


# transformers 5's usual layout of a vision-language model, for checkpoints no family describes
_USUAL_PARTS = {
    "language_model": ("model.language_model.", "model.text_model.", "lm_head"),
    "vision_tower": ("model.vision_tower.", "model.visual.", "model.vision_model.", "model.audio_tower."),
    "aligner": ("model.multi_modal_projector.", "model.visual.merger.", "model.connector."),
}


def _parts_by_name(model: Any) -> Any:
    """The usual parts when the model has a language model and a vision tower under those names."""
    from swift.contracts.parts import ModelParts

    names = [name for name, _ in model.named_modules()]
    found = {
        part: tuple(p for p in prefixes if any(n.startswith(p) or n == p.rstrip(".") for n in names))
        for part, prefixes in _USUAL_PARTS.items()
    }
    if not found["language_model"] or not found["vision_tower"]:
        return None
    return ModelParts(**found)


def load_vision_lm(model_dir: str, args: Any, record: ModelRecord) -> tuple[Any, Any]:
    """Load a vision-language checkpoint with the model flags of text models.

    The image processor is checked first, so a checkpoint without one fails before its weights load.

    Returns:
        ``(model, tokenizer)``; the template reads the image processor from the tokenizer's folder.
    """
    from transformers import AutoModelForImageTextToText, AutoModelForMultimodalLM

    from swift_transformers.models.loading import load_pretrained

    family = FAMILIES.get(record.name)
    if family is not None:
        image_processor(model_dir)
    else:  # encoded by its own processor class (vision_auto): it must load here
        auto_processor(model_dir)
    # a family sized by its own processor (or no known family) has no pixel bound to set
    rest = media_settings(
        getattr(args, "model_kwargs", None),
        fixed_size=family is None or family.fixed_size,
        videos=family is not None and bool(family.video_token),
    )
    model, tokenizer = load_pretrained(
        model_dir,
        args,
        record,
        auto_class=AutoModelForMultimodalLM if "audio" in record.tags else AutoModelForImageTextToText,
        model_kwargs=rest,
    )
    parts = family.parts if family is not None and family.parts is not None else _parts_by_name(model)
    if parts is not None:
        setattr(model, ATTRIBUTE, parts)  # --freeze_vit/--freeze_aligner/--freeze_llm read it
    return model, tokenizer
