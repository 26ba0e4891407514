"""The loader of vision-language checkpoints (``AutoModelForImageTextToText``)."""

from __future__ import annotations

from typing import Any

from swift.contracts.parts import ATTRIBUTE
from swift.kernel import ModelRecord
from swift_transformers.vision.processors import FAMILIES, image_processor


def load_vision_lm(model_dir: str, args: Any, record: ModelRecord) -> tuple[Any, Any]:
    """Load a vision-language checkpoint with the model flags of text models.

    The image processor is checked first, so a checkpoint without one fails before its weights load.

    Returns:
        ``(model, tokenizer)``; the template reads the image processor from the tokenizer's folder.
    """
    from transformers import AutoModelForImageTextToText

    from swift_transformers.models.loading import load_pretrained

    image_processor(model_dir)
    model, tokenizer = load_pretrained(model_dir, args, record, auto_class=AutoModelForImageTextToText)
    family = FAMILIES.get(record.name)
    if family is not None and family.parts is not None:
        setattr(model, ATTRIBUTE, family.parts)  # --freeze_vit/--freeze_aligner/--freeze_llm read it
    return model, tokenizer
