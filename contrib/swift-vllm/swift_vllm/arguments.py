"""The vLLM argument group (the seed's "vLLM参数"), contributed to every command that can build a vLLM engine.

Light on purpose: ``swift infer --help`` imports this module, so it holds only the
dataclass. The engine reads these fields with ``getattr`` and these defaults, so
arguments built in Python without the group (``DeployArguments(model=…)``) work too.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from swift.arguments import arg


@dataclass(kw_only=True)
class VllmArguments:
    """vLLM: engine settings for --infer_backend vllm (see vLLM's engine arguments)."""

    gpu_memory_utilization: float = arg(
        0.9, "Fraction of GPU memory vLLM may take for weights, activations and KV cache."
    )
    tensor_parallel_size: int = arg(1, "Number of GPUs each layer is split across.")
    pipeline_parallel_size: int = arg(1, "Number of pipeline stages (GPUs in sequence).")
    max_num_seqs: int = arg(256, "Most sequences vLLM schedules in one step.")
    max_model_len: int | None = arg(None, "Longest prompt + answer in tokens; unset = the model's context length.")
    disable_custom_all_reduce: bool = arg(
        True, "Use NCCL instead of vLLM's custom all-reduce kernel (vLLM's own default: False)."
    )
    enforce_eager: bool = arg(False, "Run PyTorch eager mode instead of CUDA graphs: less memory, slower.")
    limit_mm_per_prompt: dict | None = arg(
        None, 'Most multimodal items per prompt as JSON, e.g. \'{"image": 10, "video": 5}\'.'
    )
    vllm_max_lora_rank: int = arg(16, "Largest LoRA rank vLLM reserves room for.")

    def __post_init__(self) -> None:
        from swift.kernel import UsageError

        for name in ("tensor_parallel_size", "pipeline_parallel_size", "max_num_seqs"):
            if getattr(self, name) < 1:
                raise UsageError(f"--{name} must be at least 1, got {getattr(self, name)}")
        if not 0 < self.gpu_memory_utilization <= 1:
            raise UsageError(f"--gpu_memory_utilization must be in (0, 1], got {self.gpu_memory_utilization}")
        if self.max_model_len is not None and self.max_model_len < 1:
            raise UsageError(f"--max_model_len must be at least 1, got {self.max_model_len}")


def vllm_settings(args: Any) -> dict[str, Any]:
    """The vLLM fields of ``args``, the group's defaults where ``args`` lacks them."""
    defaults = VllmArguments()
    return {f.name: getattr(args, f.name, getattr(defaults, f.name)) for f in fields(defaults)}
