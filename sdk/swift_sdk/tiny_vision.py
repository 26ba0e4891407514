"""Tiny offline vision-language models: each family's real architecture, tokenizer and image processor.

Built in a second or two on a CPU, saved with ``save_pretrained`` and loaded back through the
ordinary loading code — what the vision tests, the conformance suite and the docs example use.

Example::

    from swift_sdk.tiny_vision import build_tiny_vision_model
    path = build_tiny_vision_model(tmp_path / "vl")               # Qwen2-VL, 64 image tokens at most
    path = build_tiny_vision_model(tmp_path / "g3", "gemma3")     # Gemma 3, 4 soft tokens per image
"""

from __future__ import annotations

import json
from pathlib import Path

from swift_sdk.tiny import TINY_CONFIG_OVERRIDES, _force_tokenizer_class, build_tokenizer
from swift_sdk.tiny_vision_formats import (  # noqa: F401 - re-exported for tests and docs
    CHATML_VISION_TEMPLATE,
    GEMMA3_IMAGE_TOKENS,
    GEMMA4_TOKENS,
    GEMMA4_VISION_TEMPLATE,
    GEMMA_VISION_TEMPLATE,
    GLM4V_IMAGE_TOKENS,
    GLM4V_VISION_TEMPLATE,
    IDEFICS3_TOKENS,
    IDEFICS3_VISION_TEMPLATE,
    INTERNVL_IMAGE_TOKENS,
    INTERNVL_VISION_TEMPLATE,
    LLAVA_VISION_TEMPLATE,
    MISTRAL3_VISION_TEMPLATE,
    VISION_SPECIAL_TOKENS,
)


def _tiny_model(config, tokenizer, seed: int, *, eos=None, bos=None):
    """The randomly initialised model of ``config``, its generation config ending at ``eos`` (default: EOS)."""
    import torch
    from transformers import AutoModelForImageTextToText

    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id if eos is None else eos
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    if bos is not None:
        model.generation_config.bos_token_id = bos
    return model


def _text_config(tokenizer, hidden_size: int, num_layers: int, model_type: str) -> dict:
    """The tiny text model of the Llama-style builders: 4 heads (2 KV), the tokenizer's vocabulary and ids."""
    return dict(
        model_type=model_type,
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def _save_tokenizer(tokenizer, path: Path) -> None:
    tokenizer.save_pretrained(path)
    _force_tokenizer_class(path)


#: The vision-language architectures :func:`build_tiny_vision_model` builds.
TINY_VISION_ARCHS = (
    "qwen2_vl",
    "qwen2_5_vl",
    "qwen3_vl",
    "qwen3_vl_moe",
    "gemma3",
    "glm4v",
    "internvl",
    "gemma4",
    "llava",
    "llava_next",
    "llava_onevision",
    "idefics3",
    "smolvlm",
    "qwen3_5",
    "mistral3",
)


#: The audio-language architectures it builds too (not in the image tests' list).
TINY_AUDIO_ARCHS = ("qwen2_audio",)


def build_tiny_vision_model(
    path: str | Path,
    arch: str = "qwen2_vl",
    *,
    hidden_size: int = 64,
    num_layers: int = 2,
    vocab_size: int = 1024,
    seed: int = 0,
    chat_template: str | None = None,
    max_pixels: int | None = None,
) -> Path:
    """Build and save a tiny vision-language model, its tokenizer and image processor; returns ``path``.

    A one-block vision tower (width 32) in front of a 2-layer text model; the image processor
    bounds images to ``max_pixels`` (default: 64 visual tokens; a token is 28 × 28 pixels,
    32 × 32 for Qwen3-VL). Loads with ``AutoModelForImageTextToText`` and swift's model type
    of the same name.

    Args:
        path: Directory to write (created).
        arch: One of :data:`TINY_VISION_ARCHS` or :data:`TINY_AUDIO_ARCHS`.
        hidden_size: Width of the text model (the vision tower projects into it).
        num_layers: Text decoder layers.
        vocab_size: Size of the trained byte-level BPE vocabulary (the image tokens come on top).
        seed: Seed of the random weights.
        chat_template: Jinja chat template saved with the tokenizer (default: ChatML with Qwen's
            image markers; Gemma-style turns for ``gemma3``).
        max_pixels: The image processor's ``longest_edge`` bound (pixels); Gemma 3 resizes to 56 × 56.
    """
    from transformers import AutoConfig
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    if arch not in TINY_VISION_ARCHS + TINY_AUDIO_ARCHS:
        known = ", ".join(TINY_VISION_ARCHS + TINY_AUDIO_ARCHS)
        raise ValueError(f"unknown tiny vision architecture {arch!r}; choose one of {known}")
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if arch == "gemma3":
        return _build_tiny_gemma3(
            path, hidden_size, num_layers, vocab_size, seed, chat_template or GEMMA_VISION_TEMPLATE
        )
    if arch == "mistral3":
        from swift_sdk.tiny_vision_mistral3 import build_tiny_mistral3

        return build_tiny_mistral3(
            path, hidden_size, num_layers, vocab_size, seed, chat_template or MISTRAL3_VISION_TEMPLATE
        )
    if arch in ("idefics3", "smolvlm"):
        return _build_tiny_idefics3(
            path, hidden_size, num_layers, vocab_size, seed, chat_template or IDEFICS3_VISION_TEMPLATE, arch
        )
    if arch == "llava_next":
        return _build_tiny_llava_next(
            path, hidden_size, num_layers, vocab_size, seed, chat_template or LLAVA_VISION_TEMPLATE
        )
    if arch == "qwen2_audio":
        from swift_sdk.tiny_audio import build_tiny_qwen2_audio

        return build_tiny_qwen2_audio(path, hidden_size, num_layers, vocab_size, seed, chat_template)
    if arch == "llava_onevision":
        from swift_sdk.tiny_vision_onevision import build_tiny_llava_onevision

        return build_tiny_llava_onevision(
            path, hidden_size, num_layers, vocab_size, seed, chat_template or LLAVA_VISION_TEMPLATE
        )
    if arch == "llava":
        return _build_tiny_llava(
            path, hidden_size, num_layers, vocab_size, seed, chat_template or LLAVA_VISION_TEMPLATE
        )
    if arch == "gemma4":
        return _build_tiny_gemma4(
            path, hidden_size, num_layers, vocab_size, seed, chat_template or GEMMA4_VISION_TEMPLATE
        )
    if arch == "internvl":
        return _build_tiny_internvl(
            path, hidden_size, num_layers, vocab_size, seed, chat_template or INTERNVL_VISION_TEMPLATE
        )
    if arch == "glm4v":
        return _build_tiny_glm4v(
            path, hidden_size, num_layers, vocab_size, seed, chat_template or GLM4V_VISION_TEMPLATE
        )
    tokenizer = build_tokenizer(vocab_size, chat_template or CHATML_VISION_TEMPLATE)
    tokenizer.add_special_tokens({"extra_special_tokens": list(VISION_SPECIAL_TOKENS)})
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in VISION_SPECIAL_TOKENS}
    qwen3 = arch.startswith(("qwen3_vl", "qwen3_5"))
    patch = 16 if qwen3 else 14
    token_pixels = (2 * patch) ** 2  # a visual token merges 2 × 2 patches
    rope = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]}
    if qwen3:
        rope["mrope_interleaved"] = True
    text = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=hidden_size // 4,
        max_position_embeddings=4096,
        rope_parameters=rope,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    if arch == "qwen3_5":  # gated-delta-net layers with full attention on every 4th
        text.update(TINY_CONFIG_OVERRIDES["qwen3_5"]["text_config"])
    if arch == "qwen3_vl_moe":
        text.update(num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32, decoder_sparse_step=1)
    # Qwen2-VL's vision config calls the tower's width embed_dim and its output hidden_size;
    # Qwen2.5-VL calls them hidden_size and out_hidden_size
    width = {"embed_dim": 32, "hidden_size": hidden_size} if arch == "qwen2_vl" else {"hidden_size": 32}
    vision = dict(
        depth=1,
        **width,
        intermediate_size=64,
        num_heads=2,
        out_hidden_size=hidden_size,
        spatial_merge_size=2,
        patch_size=patch,
        temporal_patch_size=2,
    )
    if qwen3:  # learned position grid and one deepstack layer, kept small
        vision.update(num_position_embeddings=64, deepstack_visual_indexes=[0])
    if arch == "qwen3_5":  # no deepstack layers in Qwen3.5's vision tower
        vision.pop("deepstack_visual_indexes")
    config = AutoConfig.for_model(
        arch,
        text_config=text,
        vision_config=vision,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    model = _tiny_model(config, tokenizer, seed, bos=text["bos_token_id"])
    model.save_pretrained(path)
    _save_tokenizer(tokenizer, path)
    processor = Qwen2VLImageProcessorPil(
        min_pixels=token_pixels * 4, max_pixels=max_pixels or token_pixels * 64, patch_size=patch
    )
    processor.save_pretrained(path)
    return path


def _build_tiny_gemma3(path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str):
    from transformers import AutoConfig
    from transformers.models.gemma3.image_processing_pil_gemma3 import Gemma3ImageProcessorPil

    tokenizer = build_tokenizer(vocab_size, chat_template)
    tokenizer.add_special_tokens(
        {"extra_special_tokens": list(GEMMA3_IMAGE_TOKENS.values())}, replace_extra_special_tokens=False
    )
    tokenizer._set_model_specific_special_tokens(special_tokens=GEMMA3_IMAGE_TOKENS)
    tokenizer.bos_token = "<bos>"
    text = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=hidden_size // 4,
        max_position_embeddings=4096,
        sliding_window=64,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    # a 56 × 56 image is 4 × 4 patches of 14, pooled to 2 × 2 = 4 soft tokens
    vision = dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=56, patch_size=14
    )
    config = AutoConfig.for_model(
        "gemma3",
        text_config=text,
        vision_config=vision,
        mm_tokens_per_image=4,
        boi_token_index=tokenizer.convert_tokens_to_ids(GEMMA3_IMAGE_TOKENS["boi_token"]),
        eoi_token_index=tokenizer.convert_tokens_to_ids(GEMMA3_IMAGE_TOKENS["eoi_token"]),
        image_token_index=tokenizer.convert_tokens_to_ids(GEMMA3_IMAGE_TOKENS["image_token"]),
    )
    model = _tiny_model(config, tokenizer, seed)
    model.save_pretrained(path)
    _save_tokenizer(tokenizer, path)
    Gemma3ImageProcessorPil(size={"height": 56, "width": 56}).save_pretrained(path)
    return path


def _build_tiny_glm4v(path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str):
    from transformers import AutoConfig
    from transformers.models.glm4v.image_processing_pil_glm4v import Glm4vImageProcessorPil

    tokenizer = build_tokenizer(vocab_size, chat_template)
    tokenizer.add_special_tokens({"extra_special_tokens": list(GLM4V_IMAGE_TOKENS)})
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in GLM4V_IMAGE_TOKENS}
    # GLM rotates half of each head: 8 of 16 dimensions, 4 frequency pairs over (t, h, w)
    rope = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [1, 1, 2], "partial_rotary_factor": 0.5}
    text = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=hidden_size // 4,
        max_position_embeddings=4096,
        rope_parameters=rope,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    vision = dict(
        depth=1,
        hidden_size=32,
        intermediate_size=64,
        num_heads=2,
        out_hidden_size=hidden_size,
        image_size=56,
        patch_size=14,
        spatial_merge_size=2,
        temporal_patch_size=2,
    )
    config = AutoConfig.for_model(
        "glm4v",
        text_config=text,
        vision_config=vision,
        image_token_id=ids["<|image|>"],
        video_token_id=ids["<|video|>"],
        image_start_token_id=ids["<|begin_of_image|>"],
        image_end_token_id=ids["<|end_of_image|>"],
        video_start_token_id=ids["<|begin_of_video|>"],
        video_end_token_id=ids["<|end_of_video|>"],
    )
    model = _tiny_model(config, tokenizer, seed)
    model.save_pretrained(path)
    _save_tokenizer(tokenizer, path)
    Glm4vImageProcessorPil(size={"shortest_edge": 28 * 28 * 4, "longest_edge": 28 * 28 * 64}).save_pretrained(path)
    return path


def _build_tiny_internvl(path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str):
    from transformers import AutoConfig
    from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import GotOcr2ImageProcessorPil

    tokenizer = build_tokenizer(vocab_size, chat_template)
    tokenizer.add_special_tokens(
        {"extra_special_tokens": list(INTERNVL_IMAGE_TOKENS.values())}, replace_extra_special_tokens=False
    )
    tokenizer._set_model_specific_special_tokens(special_tokens=INTERNVL_IMAGE_TOKENS)
    text = _text_config(tokenizer, hidden_size, num_layers, "qwen2")
    # 56 × 56 tiles of 14-pixel patches, downsampled by 2: 4 context tokens per tile
    vision = dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=56, patch_size=14
    )
    config = AutoConfig.for_model(
        "internvl",
        text_config=text,
        vision_config=vision,
        image_token_id=tokenizer.convert_tokens_to_ids("<IMG_CONTEXT>"),
        image_seq_length=4,
        tie_word_embeddings=False,
    )
    model = _tiny_model(config, tokenizer, seed)
    model.save_pretrained(path)
    _save_tokenizer(tokenizer, path)
    processor = GotOcr2ImageProcessorPil(
        size={"height": 56, "width": 56}, crop_to_patches=True, min_patches=1, max_patches=4
    )
    processor.save_pretrained(path)
    return path


def _build_tiny_gemma4(path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str):
    from transformers import AutoConfig
    from transformers.models.gemma4.image_processing_pil_gemma4 import Gemma4ImageProcessorPil

    tokenizer = build_tokenizer(vocab_size, chat_template)
    extra = [*GEMMA4_TOKENS.values(), "<|turn>", "<turn|>"]
    tokenizer.add_special_tokens({"extra_special_tokens": extra}, replace_extra_special_tokens=False)
    tokenizer._set_model_specific_special_tokens(special_tokens=GEMMA4_TOKENS)
    tokenizer.bos_token = "<bos>"
    ids = {k: tokenizer.convert_tokens_to_ids(v) for k, v in GEMMA4_TOKENS.items()}
    text = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=hidden_size // 4,
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **TINY_CONFIG_OVERRIDES["gemma4_text"],
    )
    vision = dict(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=16,
        patch_size=16,
        pooling_kernel_size=3,
        position_embedding_size=1024,
    )
    config = AutoConfig.for_model(
        "gemma4",
        text_config=text,
        vision_config=vision,
        audio_config=None,
        boi_token_id=ids["boi_token"],
        eoi_token_id=ids["eoi_token"],
        image_token_id=ids["image_token"],
        audio_token_id=ids["audio_token"],
        video_token_id=ids["video_token"],
    )
    model = _tiny_model(
        config, tokenizer, seed, eos=[tokenizer.convert_tokens_to_ids("<turn|>"), tokenizer.eos_token_id]
    )
    model.save_pretrained(path)
    _save_tokenizer(tokenizer, path)
    # 70 soft tokens (the smallest budget), 3 × 3 patches of 16 pixels each
    Gemma4ImageProcessorPil(max_soft_tokens=70, patch_size=16, pooling_kernel_size=3).save_pretrained(path)
    return path


def _build_tiny_llava(path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str):
    from transformers import AutoConfig
    from transformers.models.llava.image_processing_pil_llava import LlavaImageProcessorPil

    tokenizer = build_tokenizer(vocab_size, chat_template)
    tokenizer.add_special_tokens({"extra_special_tokens": ["<image>"]}, replace_extra_special_tokens=False)
    text = _text_config(tokenizer, hidden_size, num_layers, "llama")
    # a 56 × 56 image is 4 × 4 patches of 14: 16 <image> features (the CLS feature dropped)
    vision = dict(
        model_type="clip_vision_model",
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=56,
        patch_size=14,
        projection_dim=32,
    )
    config = AutoConfig.for_model(
        "llava",
        text_config=text,
        vision_config=vision,
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        image_seq_length=16,
        vision_feature_layer=-1,
        vision_feature_select_strategy="default",
    )
    model = _tiny_model(config, tokenizer, seed)
    model.save_pretrained(path)
    _save_tokenizer(tokenizer, path)
    LlavaImageProcessorPil(size={"shortest_edge": 56}, crop_size={"height": 56, "width": 56}).save_pretrained(path)
    return path


def _build_tiny_llava_next(
    path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str
):
    """LLaVA-NeXT (any-resolution tiles), saved with its processor class (``processor_config.json``)."""
    from transformers import AutoConfig
    from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil
    from transformers.models.llava_next.processing_llava_next import LlavaNextProcessor

    tokenizer = build_tokenizer(vocab_size, chat_template)
    tokenizer.add_special_tokens({"extra_special_tokens": ["<image>"]}, replace_extra_special_tokens=False)
    text = _text_config(tokenizer, hidden_size, num_layers, "llama")
    vision = dict(
        model_type="clip_vision_model",
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=56,
        patch_size=14,
        projection_dim=32,
    )
    pinpoints = [[56, 56], [56, 112], [112, 56], [112, 112]]  # the tile grids an image may be cut into
    config = AutoConfig.for_model(
        "llava_next",
        text_config=text,
        vision_config=vision,
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        image_grid_pinpoints=pinpoints,
        vision_feature_layer=-1,
        vision_feature_select_strategy="default",
    )
    model = _tiny_model(config, tokenizer, seed)
    model.save_pretrained(path)
    image_processor = LlavaNextImageProcessorPil(
        size={"shortest_edge": 56}, crop_size={"height": 56, "width": 56}, image_grid_pinpoints=pinpoints
    )
    processor = LlavaNextProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        patch_size=14,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=chat_template,
    )
    processor.save_pretrained(path)
    _force_tokenizer_class(path)
    return path


def _build_tiny_idefics3(
    path: Path,
    hidden_size: int,
    num_layers: int,
    vocab_size: int,
    seed: int,
    chat_template: str,
    arch: str = "idefics3",
):
    """Idefics3 (tiles with their row/column tags and a global view), saved with its processor class.

    ``arch="smolvlm"``: SmolVLM (2), the same layout of tiles and tags; its processor class has a
    video part (torchvision), so it is saved as the published checkpoints are minus that part: the
    PIL image processor, the tokenizer and ``processor_config.json``.
    """
    from transformers import AutoConfig
    from transformers.models.idefics3.image_processing_pil_idefics3 import Idefics3ImageProcessorPil
    from transformers.models.idefics3.processing_idefics3 import Idefics3Processor
    from transformers.models.smolvlm.image_processing_pil_smolvlm import SmolVLMImageProcessorPil

    tokenizer = build_tokenizer(vocab_size, chat_template)
    tokenizer.add_special_tokens({"extra_special_tokens": list(IDEFICS3_TOKENS)}, replace_extra_special_tokens=False)
    text = _text_config(tokenizer, hidden_size, num_layers, "llama")
    # 56-pixel tiles of 14-pixel patches, shuffled 2 × 2: 4 <image> tokens per tile
    vision = dict(
        hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=56, patch_size=14
    )
    config = AutoConfig.for_model(
        arch,
        text_config=text,
        vision_config=vision,
        scale_factor=2,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
    )
    # a turn ends with <end_of_utterance>, which generation stops at (as Idefics3's generation_config lists it)
    end = [tokenizer.convert_tokens_to_ids("<end_of_utterance>"), tokenizer.eos_token_id]
    model = _tiny_model(config, tokenizer, seed, eos=end)
    model.save_pretrained(path)
    sizes = dict(size={"longest_edge": 112}, max_image_size={"longest_edge": 56})
    if arch == "smolvlm":
        SmolVLMImageProcessorPil(**sizes).save_pretrained(path)
        _save_tokenizer(tokenizer, path)
        options = {"processor_class": "SmolVLMProcessor", "image_seq_len": 4}
        (path / "processor_config.json").write_text(json.dumps(options, indent=2))
        return path
    image_processor = Idefics3ImageProcessorPil(**sizes)
    processor = Idefics3Processor(
        image_processor=image_processor, tokenizer=tokenizer, image_seq_len=4, chat_template=chat_template
    )
    processor.save_pretrained(path)
    _force_tokenizer_class(path)
    return path
