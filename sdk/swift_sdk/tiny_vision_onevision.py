"""A tiny LLaVA-OneVision: a SigLIP tower, its PIL image processor and ``processor_config.json``."""

from __future__ import annotations

import json
from pathlib import Path

from swift_sdk.tiny import _force_tokenizer_class, build_tokenizer


def build_tiny_llava_onevision(
    path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str
):
    """LLaVA-OneVision (SigLIP tower; any-resolution tiles for a lone image, one view each for several).

    Saved as the published checkpoints are, minus the video processor (it needs torchvision): the PIL
    image processor, the tokenizer, ``processor_config.json`` and the chat template.
    """
    from transformers import AutoConfig
    from transformers.models.llava_onevision.image_processing_pil_llava_onevision import (
        LlavaOnevisionImageProcessorPil,
    )

    from swift_sdk.tiny_vision import _save_tokenizer, _text_config, _tiny_model

    tokenizer = build_tokenizer(vocab_size, chat_template)
    tokenizer.add_special_tokens({"extra_special_tokens": ["<image>", "<video>"]}, replace_extra_special_tokens=False)
    text = _text_config(tokenizer, hidden_size, num_layers, "llama")
    # 56-pixel views of 14-pixel patches: 16 image tokens per view
    vision = dict(
        model_type="siglip_vision_model",
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=56,
        patch_size=14,
    )
    pinpoints = [[56, 56], [56, 112], [112, 56], [112, 112], [112, 168], [168, 112]]
    config = AutoConfig.for_model(
        "llava_onevision",
        text_config=text,
        vision_config=vision,
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        video_token_index=tokenizer.convert_tokens_to_ids("<video>"),
        image_grid_pinpoints=pinpoints,
        vision_feature_select_strategy="full",
        vision_feature_layer=-1,
        vision_aspect_ratio="anyres_max_9",
    )
    model = _tiny_model(config, tokenizer, seed)
    model.save_pretrained(path)
    LlavaOnevisionImageProcessorPil(size={"height": 56, "width": 56}, image_grid_pinpoints=pinpoints).save_pretrained(
        path
    )
    _save_tokenizer(tokenizer, path)
    options = {
        "processor_class": "LlavaOnevisionProcessor",
        "num_image_tokens": 16,
        "vision_feature_select_strategy": "full",
        "vision_aspect_ratio": "anyres_max_9",
    }
    (path / "processor_config.json").write_text(json.dumps(options, indent=2))
    _force_tokenizer_class(path)
    return path
