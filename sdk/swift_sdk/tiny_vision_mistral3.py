"""A tiny Mistral 3 (Mistral Small 3.1 / 3.2): Pixtral's vision tower, its PIL image processor, [IMG] rows."""

from __future__ import annotations

from pathlib import Path

from swift_sdk.tiny import build_tokenizer
from swift_sdk.tiny_vision_formats import MISTRAL3_TOKENS

#: Pixels per vision patch of the tiny tower; 2 × 2 patches merge into one image token (28 pixels).
PATCH = 14


def build_tiny_mistral3(path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str):
    """Write the checkpoint to ``path``: images resized to at most 112 pixels a side (4 × 4 image tokens)."""
    import json

    from transformers import AutoConfig
    from transformers.models.pixtral.image_processing_pil_pixtral import PixtralImageProcessorPil

    from swift_sdk.tiny_vision import _save_tokenizer, _tiny_model

    tokenizer = build_tokenizer(vocab_size, chat_template)
    tokenizer.add_special_tokens({"extra_special_tokens": list(MISTRAL3_TOKENS)}, replace_extra_special_tokens=False)
    tokenizer.bos_token, tokenizer.eos_token = "<s>", "</s>"
    text = dict(
        model_type="mistral",
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=hidden_size // 4,
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    vision = dict(
        model_type="pixtral",
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        head_dim=16,
        image_size=112,
        patch_size=PATCH,
    )
    config = AutoConfig.for_model(
        "mistral3",
        text_config=text,
        vision_config=vision,
        image_token_index=tokenizer.convert_tokens_to_ids("[IMG]"),
        spatial_merge_size=2,
        vision_feature_layer=-1,
    )
    _tiny_model(config, tokenizer, seed).save_pretrained(path)
    _save_tokenizer(tokenizer, path)
    PixtralImageProcessorPil(size={"longest_edge": 112}, patch_size={"height": PATCH, "width": PATCH}).save_pretrained(
        path
    )
    # what PixtralProcessor reads (Mistral's checkpoints ship it): the processor-level patch and merge
    processor = {"processor_class": "PixtralProcessor", "patch_size": PATCH, "spatial_merge_size": 2}
    (path / "processor_config.json").write_text(json.dumps(processor, indent=2))
    return path
