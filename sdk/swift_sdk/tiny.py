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
    "glm4_moe": {"n_routed_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32, "head_dim": 8},
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
