"""Arguments of ``swift export``, ``merge-lora`` and ``sample``."""

import os
from datetime import datetime
from typing import ClassVar, Literal

from swift.arguments._fields import arg, argclass
from swift.arguments.base import BaseArguments, model_suffix
from swift.arguments.errors import ArgumentError
from swift.arguments.infer import MergeArguments


@argclass
class ExportArguments(MergeArguments, BaseArguments):
    """Arguments of ``swift export`` (merge, quantize, push) and ``swift merge-lora``."""

    # A QLoRA run's quantization describes how it loaded the base; for export these flags
    # ask for a quantized output, so they are never taken from the run's args.json.
    RESTORE_EXCLUDES: ClassVar[tuple[str, ...]] = (
        "quant_method",
        "quant_bits",
        "hqq_axis",
        "bnb_4bit_compute_dtype",
        "bnb_4bit_quant_type",
        "bnb_4bit_use_double_quant",
    )

    ckpt_dir: str | None = arg(None, "Checkpoint folder: adapters or full weights of a training run.")
    output_dir: str | None = arg(None, "Result folder; unset = <checkpoint>-merged or <checkpoint>-<method>-int<bits>.")
    quant_n_samples: int = arg(256, "Calibration samples for gptq/awq.")
    quant_seqlen: int = arg(2048, "Sequence length of calibration samples.")
    quant_batch_size: int = arg(1, "Batch size of quantization.")
    group_size: int = arg(128, "Quantization group size.")
    to_peft_format: bool = arg(False, "Convert a swift-format adapter to PEFT format.")
    to_ollama: bool = arg(False, "Write an Ollama Modelfile.")
    exist_ok: bool = arg(False, "Allow writing into an existing output folder.")
    push_to_hub: bool = arg(False, "Push the result to the hub.")
    hub_model_id: str | None = arg(None, "Hub repository, `group/model_code`.")
    hub_private_repo: bool = arg(False, "Create the hub repository as private.")
    commit_message: str = arg("update files", "Commit message of the push.")

    def __post_init__(self) -> None:
        super().__post_init__()
        calibration = {"quant_n_samples": 256, "quant_seqlen": 2048, "quant_batch_size": 1, "group_size": 128}
        changed = [k for k, v in calibration.items() if getattr(self, k) != v]
        if changed and self.quant_method not in ("gptq", "awq"):
            raise ArgumentError(f"--{', --'.join(changed)} only apply to --quant_method gptq or awq")
        if self.output_dir is None:
            self.output_dir = default_export_dir(self)


def default_export_dir(args: ExportArguments) -> str | None:
    """``<checkpoint>-merged`` for merging, ``<checkpoint>-<method>-int<bits>`` for quantizing."""
    if args.quant_method and args.quant_bits:
        suffix = f"{args.quant_method}-int{args.quant_bits}"
    elif args.merge_lora:
        suffix = "merged"
    elif args.to_peft_format:
        suffix = "peft"
    elif args.to_ollama:
        suffix = "ollama"
    else:
        return None
    source = args.ckpt_dir or (args.adapters[0] if args.adapters else None)
    if source is None:
        source = model_suffix(args.model) if args.model and not os.path.isdir(args.model) else args.model
    if source is None:
        return None
    return f"{source.rstrip('/')}-{suffix}"


@argclass
class SamplingArguments(BaseArguments):
    """Arguments of ``swift sample``: sample many completions and keep the best."""

    prm_model: str | None = arg(None, "Process reward model (id, path or plugin name).")
    orm_model: str | None = arg(None, "Outcome reward model (id, path or plugin name).")
    sampler_type: str = arg("sample", "Sampling strategy: sample, mcts, distill …")
    sampler_engine: Literal["pt", "vllm", "lmdeploy", "client", "no"] = arg("pt", "Engine used for sampling.")
    output_dir: str = arg("sample_output", "Folder for sampling results.")
    output_file: str | None = arg(None, "Result file name inside --output_dir; unset = a timestamp .jsonl.")
    override_exist_file: bool = arg(False, "Overwrite an existing result file.")
    num_return_sequences: int = arg(64, "Completions sampled per prompt.")
    num_sampling_per_gpu_batch_size: int = arg(1, "Prompts per sampling batch.")
    num_sampling_per_gpu_batches: int | None = arg(None, "Number of sampling batches; unset = the whole dataset.")
    n_best_to_keep: int = arg(5, "Best completions kept per prompt.")
    data_range: list[int] = arg([], "Shard to process: `index count` splits the data in count parts.")
    temperature: float | None = arg(1.0, "Sampling temperature.")
    prm_threshold: float = arg(0.0, "Drop completions the PRM scores below this.")
    easy_query_threshold: float | None = arg(None, "Skip prompts whose completions are correct above this rate.")
    engine_kwargs: dict | None = arg(None, "Extra engine options as JSON.")
    cache_files: list[str] = arg([], "Earlier sampling results to continue from.")

    def __post_init__(self) -> None:
        if self.output_file is None:
            self.output_file = datetime.now().strftime("%Y-%m-%d-%H-%M-%S") + ".jsonl"
        elif "/" in self.output_file or "\\" in self.output_file:
            raise ArgumentError(
                f"--output_file {self.output_file!r} must be a file name; put the folder in --output_dir."
            )
        super().__post_init__()
