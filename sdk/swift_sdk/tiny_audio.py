"""A tiny Qwen2-Audio: a one-layer Whisper-style encoder, its feature extractor and processor class."""

from __future__ import annotations

from pathlib import Path

from swift_sdk.tiny import _force_tokenizer_class, build_tokenizer

#: Qwen2-Audio's published chat template (Qwen2-Audio-7B-Instruct): ChatML, a default system
#: message, and "Audio k: <|audio_bos|><|AUDIO|><|audio_eos|>" plus a newline for the k-th audio part.
QWEN2_AUDIO_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if 'audio' in content or 'audio_url' in content %}"
    "{% set audio_count.value = audio_count.value + 1 %}"
    "Audio {{ audio_count.value }}: <|audio_bos|><|AUDIO|><|audio_eos|>\n"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}"
    "{% endfor %}<|im_end|>\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_qwen2_audio(
    path: Path, hidden_size: int, num_layers: int, vocab_size: int, seed: int, chat_template: str | None
):
    """Qwen2-Audio (a 1-layer Whisper-style encoder over 128 mel bins, 30 s windows), with its processor class."""
    import torch
    from transformers import AutoConfig, AutoModelForMultimodalLM, WhisperFeatureExtractor
    from transformers.models.qwen2_audio.processing_qwen2_audio import Qwen2AudioProcessor

    from swift_sdk.tiny_vision import _text_config

    template = chat_template or QWEN2_AUDIO_TEMPLATE
    tokenizer = build_tokenizer(vocab_size, template)
    tokenizer.add_special_tokens(
        {"extra_special_tokens": ["<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>"]}, replace_extra_special_tokens=False
    )
    text = _text_config(tokenizer, hidden_size, num_layers, "qwen2")
    audio = dict(
        model_type="qwen2_audio_encoder",
        d_model=32,
        encoder_layers=1,
        encoder_attention_heads=2,
        encoder_ffn_dim=64,
        num_mel_bins=128,
        max_source_positions=1500,
    )
    config = AutoConfig.for_model(
        "qwen2_audio",
        text_config=text,
        audio_config=audio,
        audio_token_index=tokenizer.convert_tokens_to_ids("<|AUDIO|>"),
    )

    torch.manual_seed(seed)
    model = AutoModelForMultimodalLM.from_config(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(path)
    _published_weight_names(path)
    processor = Qwen2AudioProcessor(
        feature_extractor=WhisperFeatureExtractor(feature_size=128), tokenizer=tokenizer, chat_template=template
    )
    processor.save_pretrained(path)
    _force_tokenizer_class(path)
    return path


def _published_weight_names(path: Path) -> None:
    """Weights named as published Qwen2-Audio checkpoints name them (``language_model.model.layers…``).

    transformers 5.19 saves the text model as ``language_model.model.model.…`` (it loads both
    spellings back; vLLM reads only the published one), 5.23 as published.
    """
    from safetensors.torch import load_file, save_file

    file = Path(path) / "model.safetensors"
    state = load_file(str(file))
    doubled = "language_model.model.model."
    if any(name.startswith(doubled) for name in state):
        state = {name.replace(doubled, "language_model.model.", 1): tensor for name, tensor in state.items()}
        save_file(state, str(file), metadata={"format": "pt"})
