"""Argument groups every command shares: model, data, template, generation, quantization."""

from typing import Literal

from swift.arguments._fields import arg, argclass

Dtype = Literal["bfloat16", "float16", "float32"]


@argclass
class ModelArguments:
    """Model: which weights to load and how."""

    model: str | None = arg(None, "Model id or local path; custom models also need --model_type and --template.")
    model_type: str | None = arg(None, "Model group registered by a plugin (same architecture, template, loader).")
    model_revision: str | None = arg(None, "Model revision (branch, tag or commit) on the hub.")
    torch_dtype: Dtype | None = arg(None, "Weight dtype; read from the model's config file when unset.")
    attn_impl: Literal["flash_attn", "sdpa", "eager"] | None = arg(None, "Attention implementation; unset means sdpa.")
    rope_scaling: Literal["linear", "dynamic"] | None = arg(None, "RoPE scaling type; use together with --max_length.")
    device_map: dict | str | None = arg(None, "device_map for loading: a name such as 'auto', or JSON / a .json path.")
    local_repo_path: str | None = arg(None, "Local clone of a GitHub repo some models need, instead of `git clone`.")
    model_kwargs: dict = arg({}, "Extra model-specific options as JSON, e.g. '{\"fps_max_frames\": 12}'.")
    task_type: Literal["causal_lm", "seq_cls"] | None = arg(
        None,
        "causal_lm (generate text) or seq_cls (a classification head on the last token); "
        "unset means seq_cls with --num_labels or a *ForSequenceClassification checkpoint, else causal_lm.",
    )
    num_labels: int | None = arg(None, "Number of labels, for classification tasks (implies --task_type seq_cls).")
    problem_type: Literal["regression", "single_label_classification", "multi_label_classification"] | None = arg(
        None,
        "Classification loss: unset means regression for --num_labels 1, else single_label_classification.",
    )


@argclass
class DataArguments:
    """Data: datasets, splitting and preprocessing."""

    dataset: list[str] = arg([], "Dataset ids or paths, `id_or_path[:subset][#samples]`; jsonl, csv, json or folder.")
    val_dataset: list[str] = arg([], "Validation dataset ids or paths, same syntax as --dataset.")
    split_dataset_ratio: float = arg(0.01, "Fraction of --dataset held out for validation when no --val_dataset.")
    data_seed: int = arg(42, "Random seed for dataset shuffling and splitting.")
    dataset_num_proc: int = arg(1, "Number of processes for dataset preprocessing.")
    streaming: bool = arg(False, "Stream datasets instead of loading them fully.")
    load_from_cache_file: bool = arg(False, "Reuse cached preprocessing; stale if the dataset changed.")
    download_mode: Literal["reuse_dataset_if_exists", "force_redownload"] = arg(
        "reuse_dataset_if_exists", "Dataset download mode."
    )
    strict: bool = arg(False, "Raise on the first bad dataset row instead of dropping bad rows.")
    max_line_bytes: int = arg(
        16 * 1024 * 1024,
        "Longest line a jsonl/txt reader accepts; a longer one is a bad row, read past without holding it in memory.",
    )
    model_name: list[str] = arg([], "Self-cognition only: the model's Chinese and English names.")
    model_author: list[str] = arg([], "Self-cognition only: the model author's Chinese and English names.")
    custom_dataset_info: list[str] = arg([], "dataset_info.json files registering simple custom datasets.")
    columns: dict = arg({}, "Column renames applied before preprocessing, JSON mapping old name to new name.")


@argclass
class TemplateArguments:
    """Template: how conversations become tokens."""

    template: str | None = arg(
        None, "Chat template name; defaults to the model's template (required for custom models)."
    )
    system: str | None = arg(None, "Custom system prompt; defaults to the template's system.")
    max_length: int | None = arg(None, "Maximum number of tokens of one sample.")
    truncation_strategy: Literal["delete", "left"] = arg(
        "left", "What to do with too long samples: delete them or cut tokens on the left."
    )
    max_pixels: int | None = arg(None, "Maximum pixels of an image for multimodal models; unset keeps the size.")
    tools_prompt: str | None = arg(
        None,
        "Tool format of agent data (react_en, react_zh, toolbench, hermes, qwen, glm4 or a plugin's): how the tool "
        "list, calls and results are written; unset: the template's native format, else react_en.",
    )
    loss_scale: str = arg(
        "default",
        "Per-token loss weighting: default (every response token 1), last_round, all, react, hermes, qwen, "
        "agentflan, alpha_umi, ignore_empty_think, or a JSON file of key/regex -> weights.",
    )
    sequence_parallel_size: int = arg(1, "Sequence parallel degree.")
    use_chat_template: bool = arg(True, "Use the chat template (True) or the plain generation template (False).")
    template_backend: Literal["swift", "jinja"] = arg(
        "swift", "Encode with swift templates or the tokenizer's jinja apply_chat_template."
    )


@argclass
class GenerationArguments:
    """Generation: sampling settings for inference (see transformers' GenerationConfig)."""

    max_new_tokens: int | None = arg(None, "Maximum number of new tokens generated.")
    temperature: float | None = arg(None, "Sampling temperature; 0 means greedy decoding.")
    top_k: int | None = arg(None, "Top-k sampling.")
    top_p: float | None = arg(None, "Top-p (nucleus) sampling.")
    repetition_penalty: float | None = arg(None, "Repetition penalty.")
    num_beams: int = arg(1, "Beam search width.")
    stream: bool = arg(False, "Stream the output.")
    stop_words: list[str] = arg([], "Extra stop words.")
    logprobs: bool = arg(False, "Return log probabilities of the generated tokens.")
    top_logprobs: int | None = arg(None, "Number of most likely alternatives returned per token with --logprobs.")


@argclass
class QuantizeArguments:
    """Quantization: load-time quantization (gptq/awq/aqlm are read from the model config)."""

    quant_method: Literal["bnb", "hqq", "eetq", "fp8", "awq", "gptq", "aqlm"] | None = arg(
        None,
        "Quantization method: bnb, hqq, eetq or fp8 (frozen base weights in FP8, LoRA on top) when loading; "
        "awq or gptq when exporting.",
    )
    quant_bits: int | None = arg(None, "Quantization bits; which values work depends on the method.")
    hqq_axis: int | None = arg(None, "hqq quantization axis.")
    bnb_4bit_compute_dtype: Dtype | None = arg(None, "bnb compute dtype; defaults to --torch_dtype.")
    bnb_4bit_quant_type: Literal["fp4", "nf4"] = arg("nf4", "bnb 4-bit quantization type.")
    bnb_4bit_use_double_quant: bool = arg(True, "bnb double quantization.")
    bnb_4bit_quant_storage: str | None = arg(None, "bnb quantized storage dtype.")
