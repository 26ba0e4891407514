"""Tiny offline models: a real tokenizer and a real 2-layer model, built in about a second.

No hub is needed. The tokenizer is a byte-level BPE trained on a few KB of text,
with the special tokens of the common chat templates (ChatML, Llama-3, Gemma,
Phi-3, GLM-4, Mistral …) so every built-in template encodes on it; the model is
a randomly initialised Llama or Qwen3 of a few hundred thousand parameters saved
with ``save_pretrained`` and loaded back through the ordinary loading code.

Example::

    from swift_sdk.tiny import build_tiny_model
    path = build_tiny_model(tmp_path / "tiny")          # qwen3, head_dim 16
    path = build_tiny_model(tmp_path / "v", head_dim=64)  # what vLLM's CPU kernels accept
"""

from __future__ import annotations

import json
import random
from pathlib import Path

CHAT_SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<think>",
    "</think>",
    "<tool_call>",
    "</tool_call>",
    "<tool_response>",
    "</tool_response>",
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
    "<s>",
    "</s>",
    "<unk>",
    "[INST]",
    "[/INST]",
    "<<SYS>>",
    "<</SYS>>",
    "<bos>",
    "<eos>",
    "<pad>",
    "<start_of_turn>",
    "<end_of_turn>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|end|>",
    "[gMASK]",
    "<sop>",
    "<|observation|>",
    "<|beginofsentence|>",
    "<|endofsentence|>",
    "<|User|>",
    "<|Assistant|>",
    "<｜begin▁of▁sentence｜>",
    "<｜end▁of▁sentence｜>",
    "<｜User｜>",
    "<｜Assistant｜>",
    "<|im_sep|>",
)
PLAIN_ADDED_TOKENS = ("<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>")

# ChatML with generation markers, so transformers' return_assistant_tokens_mask works.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\n' }}"
    "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}"
    "{% else %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

_WORDS = (
    "the a an model language large small train tune data set token answer question user assistant "
    "system you I am is are was be can will what who how why when where please thank hello hi "
    "name author swift plugin learn fast slow good bad yes no one two three four five six seven "
    "eight nine ten number math sum equals plus minus think step solution reason because so then "
    "write code python function return value list dict file path run test loss goes down up "
    "weather today tomorrow city China English Chinese help sure here there this that it of to in "
    "on for with as by from at or and not but if else while loop print open close read save load"
).split()


def training_text(n_sentences: int = 400, seed: int = 0) -> list[str]:
    """Deterministic English-like sentences plus digits and a little Chinese."""
    rng = random.Random(seed)
    lines = []
    for i in range(n_sentences):
        words = [rng.choice(_WORDS) for _ in range(rng.randint(5, 14))]
        lines.append(" ".join(words).capitalize() + rng.choice([".", "?", "!"]) + f" {i} {i * 7 % 100}")
    lines += [
        "我是一个语言模型。你好，世界！",
        "1 + 2 = 3, 12 * 3 = 36, x^2 - 1 = 0",
        "{\"key\": [1, 2]} <a href='x'>y</a>",
    ]
    return lines


def build_tokenizer(vocab_size: int = 1024, chat_template: str = CHATML_TEMPLATE):
    """A ``PreTrainedTokenizerFast`` trained on :func:`training_text`."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(CHAT_SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(training_text(), trainer=trainer)
    # As in Qwen's tokenizers, the tool markers are added but not special tokens: decoded
    # answers keep them (skip_special_tokens=True), so a reply's tool calls can be read back.
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in PLAIN_ADDED_TOKENS])
    kept = ("<|im_end|>", "<|endoftext|>", *PLAIN_ADDED_TOKENS)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=[t for t in CHAT_SPECIAL_TOKENS if t not in kept],
    )
    fast.chat_template = chat_template
    return fast


_SMALL_MLA = {"kv_lora_rank": 16, "qk_rope_head_dim": 8, "qk_nope_head_dim": 8, "v_head_dim": 16}
# Qwen3.5: gated-delta-net layers with full attention on every 4th; composite checkpoints hold it as text_config
_QWEN3_5_TEXT = {
    "num_hidden_layers": 4,
    "linear_key_head_dim": 16,
    "linear_value_head_dim": 16,
    "linear_num_key_heads": 2,
    "linear_num_value_heads": 4,
}
_QWEN3_5_EXPERTS = {
    "num_experts": 4,
    "num_experts_per_tok": 2,
    "moe_intermediate_size": 32,
    "shared_expert_intermediate_size": 32,
}
_DEEPSEEK_MOE = {
    "n_routed_experts": 4,
    "num_experts_per_tok": 2,
    "n_group": 1,
    "topk_group": 1,
    "moe_intermediate_size": 32,
    "q_lora_rank": 32,
    "head_dim": 8,
    **_SMALL_MLA,
}
_TINY_VISION = {"depth": 1, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2}
#: Sizes the generic keywords do not reach, per architecture (experts, linear attention, MLA),
#: so that hybrid and MoE families build tiny and run; ``config_overrides`` goes on top.
TINY_CONFIG_OVERRIDES: dict[str, dict] = {
    "qwen3_next": {
        "num_hidden_layers": 4,  # its layer pattern puts full attention on every 4th layer
        "num_experts": 4,
        "num_experts_per_tok": 2,
        "moe_intermediate_size": 32,
        "shared_expert_intermediate_size": 32,
        "linear_key_head_dim": 16,
        "linear_value_head_dim": 16,
        "linear_num_key_heads": 2,
        "linear_num_value_heads": 4,
    },
    "kimi_linear": {
        "layer_types": ["linear_attention", "full_attention"],
        "mlp_layer_types": ["dense", "sparse"],
        "num_experts": 4,
        "num_experts_per_tok": 2,
        "moe_intermediate_size": 32,
        "linear_head_dim": 16,
        "linear_num_heads": 4,
        "q_lora_rank": None,
        **_SMALL_MLA,
    },
    # per-layer input embeddings of their own vocabulary size (at least the tokenizer's)
    "gemma4_text": {"vocab_size_per_layer_input": 2048, "hidden_size_per_layer_input": 16, "sliding_window": 64},
    "qwen3_5": {"text_config": _QWEN3_5_TEXT, "vision_config": _TINY_VISION},
    "qwen3_5_moe": {"text_config": {**_QWEN3_5_TEXT, **_QWEN3_5_EXPERTS}, "vision_config": _TINY_VISION},
    "qwen3_5_text": _QWEN3_5_TEXT,
    "qwen3_5_moe_text": {**_QWEN3_5_TEXT, **_QWEN3_5_EXPERTS},
    "deepseek_v2": _DEEPSEEK_MOE,
    "deepseek_v3": {**_DEEPSEEK_MOE, "first_k_dense_replace": 1},
    # V3.2's sparse-attention indexer wants as many key/value heads as query heads
    "deepseek_v32": {
        **_DEEPSEEK_MOE,
        "first_k_dense_replace": 1,
        "num_key_value_heads": 4,
        "index_head_dim": 16,
        "index_n_heads": 4,
        "index_topk": 4,
    },
    # Granite 4: a Mamba-2 layer (heads × head size = 2 × hidden) and an attention layer
    "granitemoehybrid": {
        "layer_types": ["mamba", "attention"],
        "mamba_n_heads": 4,
        "mamba_d_head": 32,
        "mamba_d_state": 16,
        "mamba_chunk_size": 16,
        "mamba_n_groups": 1,
        "shared_intermediate_size": 32,
        "num_local_experts": 4,
        "num_experts_per_tok": 2,
    },
}

#: More parameters than this means the generic tiny config did not make the model tiny.
MAX_TINY_PARAMETERS = 50_000_000


def build_tiny_model(
    path: str | Path,
    arch: str = "qwen3",
    *,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    num_kv_heads: int = 2,
    head_dim: int | None = None,
    vocab_size: int = 1024,
    seed: int = 0,
    chat_template: str = CHATML_TEMPLATE,
    config_overrides: dict | None = None,
) -> Path:
    """Build and save a tiny causal LM with its tokenizer; returns ``path``.

    Args:
        path: Directory to write (created).
        arch: ``qwen3`` or ``llama`` (not ``qwen2``: its tokenizer class replaces ours).
        hidden_size: Width of the model.
        num_layers: Decoder layers.
        num_heads: Attention heads.
        num_kv_heads: Key/value heads (grouped-query attention when fewer than ``num_heads``).
        head_dim: Defaults to ``hidden_size // num_heads``; use 64 for vLLM on CPU
            (``hidden_size=128, num_heads=2``).
        vocab_size: Size of the byte-level BPE vocabulary trained for the tokenizer.
        seed: Seed of the random weights.
        chat_template: Jinja chat template saved with the tokenizer (ChatML by default).
        config_overrides: More config values (``num_experts`` of a MoE …).
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(vocab_size, chat_template)
    head_dim = head_dim or hidden_size // num_heads
    values = dict(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_kv_heads,
        head_dim=head_dim,
        max_position_embeddings=4096,
        tie_word_embeddings=False,
        bos_token_id=tokenizer.convert_tokens_to_ids("<|endoftext|>"),
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    values.update({**TINY_CONFIG_OVERRIDES.get(arch, {}), **(config_overrides or {})})
    if isinstance(values.get("text_config"), dict):  # a composite config: the sizes above are its text model's
        generic = {k: v for k, v in values.items() if k not in ("text_config", "vision_config")}
        values["text_config"] = {**generic, **values["text_config"]}
        if isinstance(values.get("vision_config"), dict):  # the vision tower projects into the text width
            values["vision_config"] = {
                **values["vision_config"],
                "out_hidden_size": values["text_config"]["hidden_size"],
            }
    config = AutoConfig.for_model(arch, **values)
    # Composite or hybrid configs (a text_config inside, linear-attention sizes) keep their
    # full-size defaults for what the keywords above do not reach: count on the meta device
    # first, so such an architecture fails here instead of allocating gigabytes.
    with torch.device("meta"):
        size = sum(p.numel() for p in AutoModelForCausalLM.from_config(config).parameters())
    if size > MAX_TINY_PARAMETERS:
        raise ValueError(
            f"{arch}: the generic tiny config still has {size:,} parameters (a composite or hybrid "
            "config keeps full-size defaults); build this architecture with its own sizes"
        )
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    _force_tokenizer_class(path)
    return path


# Qwen2-VL's placeholders, added to the tiny tokenizer of a vision model as special tokens
VISION_SPECIAL_TOKENS = ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>")

# ChatML whose content may be a list of parts; an image part becomes Qwen2-VL's placeholder,
# and a conversation without a system message gets Qwen2-VL's default one.
CHATML_VISION_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' or 'image' in part or 'image_url' in part %}"
    "{{ '<|vision_start|><|image_pad|><|vision_end|>' }}"
    "{% elif 'text' in part %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Gemma-style turns whose content may be a list of parts; an image part becomes <start_of_image>
GEMMA_VISION_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{ '<start_of_turn>' + role + '\n' }}"
    "{% if message['content'] is string %}{{ message['content'] | trim }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{{ '<start_of_image>' }}"
    "{% elif part['type'] == 'text' %}{{ part['text'] | trim }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '<end_of_turn>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}"
)
# Gemma 3's image tokens, as named special tokens of the tokenizer (its processor reads them by name)
GEMMA3_IMAGE_TOKENS = {
    "boi_token": "<start_of_image>",
    "eoi_token": "<end_of_image>",
    "image_token": "<image_soft_token>",
}

# GLM-style turns whose content may be a list of parts; an image part becomes GLM-4.1V's markers
GLM4V_VISION_TEMPLATE = (
    "[gMASK]<sop>"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"  # a reply starts after the newline
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{{ '<|begin_of_image|><|image|><|end_of_image|>' }}"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)
GLM4V_IMAGE_TOKENS = (
    "<|begin_of_image|>",
    "<|end_of_image|>",
    "<|image|>",
    "<|begin_of_video|>",
    "<|end_of_video|>",
    "<|video|>",
)

# ChatML whose image parts become InternVL's <IMG_CONTEXT> and a newline (transformers' InternVL format)
INTERNVL_VISION_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{{ '<IMG_CONTEXT>\n' }}"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '<|im_end|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
INTERNVL_IMAGE_TOKENS = {
    "start_image_token": "<img>",
    "end_image_token": "</img>",
    "context_image_token": "<IMG_CONTEXT>",
    "video_token": "<video>",
}

# Gemma-4-style turns (<|turn>role … <turn|>) whose image parts become the tokenizer's image token
GEMMA4_VISION_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{ '<|turn>' + role + '\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{{ '<|image|>' }}"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}"
    "{{ '<turn|>\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|turn>model\n' }}{% endif %}"
)
GEMMA4_TOKENS = {
    "boi_token": "<|image>",
    "eoi_token": "<image|>",
    "image_token": "<|image|>",
    "video_token": "<|video|>",
    "audio_token": "<|audio|>",
    "boa_token": "<|audio>",
    "eoa_token": "<audio|>",
}

# LLaVA-1.5-style turns ("USER: … ASSISTANT: …</s>"); a message's images come first, "<image>\n" each
LLAVA_VISION_TEMPLATE = (
    "{% for message in messages %}"
    "{{ message['role'].upper() + ': ' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}"
    "{% for part in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\n' }}{% endfor %}"
    "{% for part in message['content'] | selectattr('type', 'equalto', 'text') %}{{ part['text'] }}{% endfor %}"
    "{% endif %}"
    "{% if message['role'] == 'assistant' %}{{ eos_token }}{% endif %}{{ ' ' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)

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
)


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
        arch: One of :data:`TINY_VISION_ARCHS`.
        hidden_size: Width of the text model (the vision tower projects into it).
        num_layers: Text decoder layers.
        vocab_size: Size of the trained byte-level BPE vocabulary (the image tokens come on top).
        seed: Seed of the random weights.
        chat_template: Jinja chat template saved with the tokenizer (default: ChatML with Qwen's
            image markers; Gemma-style turns for ``gemma3``).
        max_pixels: The image processor's ``longest_edge`` bound (pixels); Gemma 3 resizes to 56 × 56.
    """
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

    if arch not in TINY_VISION_ARCHS:
        raise ValueError(f"unknown tiny vision architecture {arch!r}; choose one of {', '.join(TINY_VISION_ARCHS)}")
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if arch == "gemma3":
        return _build_tiny_gemma3(
            path, hidden_size, num_layers, vocab_size, seed, chat_template or GEMMA_VISION_TEMPLATE
        )
    if arch == "llava_next":
        return _build_tiny_llava_next(
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
    qwen3 = arch.startswith("qwen3_vl")
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
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.bos_token_id = text["bos_token_id"]
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    _force_tokenizer_class(path)
    processor = Qwen2VLImageProcessorPil(
        min_pixels=token_pixels * 4, max_pixels=max_pixels or token_pixels * 64, patch_size=patch
    )
    processor.save_pretrained(path)
    return path


def _build_tiny_gemma3(path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str):
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText
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
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    _force_tokenizer_class(path)
    Gemma3ImageProcessorPil(size={"height": 56, "width": 56}).save_pretrained(path)
    return path


def _build_tiny_glm4v(path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str):
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText
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
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    _force_tokenizer_class(path)
    Glm4vImageProcessorPil(size={"shortest_edge": 28 * 28 * 4, "longest_edge": 28 * 28 * 64}).save_pretrained(path)
    return path


def _build_tiny_internvl(path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str):
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText
    from transformers.models.got_ocr2.image_processing_pil_got_ocr2 import GotOcr2ImageProcessorPil

    tokenizer = build_tokenizer(vocab_size, chat_template)
    tokenizer.add_special_tokens(
        {"extra_special_tokens": list(INTERNVL_IMAGE_TOKENS.values())}, replace_extra_special_tokens=False
    )
    tokenizer._set_model_specific_special_tokens(special_tokens=INTERNVL_IMAGE_TOKENS)
    text = dict(
        model_type="qwen2",
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
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    _force_tokenizer_class(path)
    processor = GotOcr2ImageProcessorPil(
        size={"height": 56, "width": 56}, crop_to_patches=True, min_patches=1, max_patches=4
    )
    processor.save_pretrained(path)
    return path


def _build_tiny_gemma4(path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str):
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText
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
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    # a reply ends with <turn|>, which generation stops at (as Gemma 4's generation_config lists it)
    model.generation_config.eos_token_id = [tokenizer.convert_tokens_to_ids("<turn|>"), tokenizer.eos_token_id]
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    _force_tokenizer_class(path)
    # 70 soft tokens (the smallest budget), 3 × 3 patches of 16 pixels each
    Gemma4ImageProcessorPil(max_soft_tokens=70, patch_size=16, pooling_kernel_size=3).save_pretrained(path)
    return path


def _build_tiny_llava(path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str):
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText
    from transformers.models.llava.image_processing_pil_llava import LlavaImageProcessorPil

    tokenizer = build_tokenizer(vocab_size, chat_template)
    tokenizer.add_special_tokens({"extra_special_tokens": ["<image>"]}, replace_extra_special_tokens=False)
    text = dict(
        model_type="llama",
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
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    _force_tokenizer_class(path)
    LlavaImageProcessorPil(size={"shortest_edge": 56}, crop_size={"height": 56, "width": 56}).save_pretrained(path)
    return path


def _build_tiny_llava_next(
    path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str
):
    """LLaVA-NeXT (any-resolution tiles), saved with its processor class (``processor_config.json``)."""
    import torch
    from transformers import AutoConfig, AutoModelForImageTextToText
    from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil
    from transformers.models.llava_next.processing_llava_next import LlavaNextProcessor

    tokenizer = build_tokenizer(vocab_size, chat_template)
    tokenizer.add_special_tokens({"extra_special_tokens": ["<image>"]}, replace_extra_special_tokens=False)
    text = dict(
        model_type="llama",
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
    torch.manual_seed(seed)
    model = AutoModelForImageTextToText.from_config(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
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


def train_tool_caller(
    model_dir: str | Path,
    folder: str | Path,
    *,
    tool_result: str = "18C",
    answer: str = "It is 18C in Paris.",
    template: str = "qwen2_5",
    steps: int = 80,
) -> str:
    """Fine-tune a tiny model (fully, through ``swift sft``'s code) to call a tool, then answer.

    The rows offer :data:`swift.template.check.WEATHER_TOOL`; asked "What is the weather in
    Paris?", the model learns to call ``get_weather({"city": "Paris"})`` and, given
    ``tool_result``, to reply ``answer``. About 6 s on a CPU. For tests of tool calling
    (serving, rollouts, a plugin's tool format).

    Returns:
        The checkpoint folder.
    """
    from swift.llm import TrainArguments, sft_main
    from swift.template.check import WEATHER_TOOL

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ask = {"role": "user", "content": "What is the weather in Paris?"}
    call = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
    }
    result = {"role": "tool", "content": tool_result}
    rows = [[ask, call], [ask, call, result, {"role": "assistant", "content": answer}]]
    data = folder / "tool_calls.jsonl"
    data.write_text("".join(json.dumps({"tools": [WEATHER_TOOL], "messages": r}) + "\n" for r in rows * 8))
    args = TrainArguments(
        model=str(model_dir),
        template=template,
        train_type="full",
        dataset=[str(data)],
        output_dir=str(folder / "output"),
        max_steps=steps,
        learning_rate=3e-3,
        lr_scheduler_type="constant",
        warmup_ratio=0.0,
        per_device_train_batch_size=4,
        split_dataset_ratio=0.0,
        save_steps=steps,
        logging_steps=steps,
    )
    return sft_main(args)["last_model_checkpoint"]


def _force_tokenizer_class(path: Path) -> None:
    # AutoTokenizer may pick the architecture's own tokenizer class; ours is the trained one.
    cfg_file = path / "tokenizer_config.json"
    cfg = json.loads(cfg_file.read_text())
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    cfg_file.write_text(json.dumps(cfg, indent=2, ensure_ascii=False))


def main(argv: list[str] | None = None) -> int:
    """``python -m swift_sdk.tiny OUTPUT_DIR [--arch qwen3|llama] [--hidden-size N] …``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m swift_sdk.tiny", description="Build a tiny offline model.")
    parser.add_argument("output_dir")
    parser.add_argument("--arch", default="qwen3", choices=["qwen3", "llama"])
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--num-layers", type=int, default=2)
    parser.add_argument("--num-heads", type=int, default=4)
    parser.add_argument("--num-kv-heads", type=int, default=2)
    parser.add_argument("--head-dim", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    ns = parser.parse_args(argv)
    path = build_tiny_model(
        ns.output_dir,
        ns.arch,
        hidden_size=ns.hidden_size,
        num_layers=ns.num_layers,
        num_heads=ns.num_heads,
        num_kv_heads=ns.num_kv_heads,
        head_dim=ns.head_dim,
        seed=ns.seed,
    )
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
