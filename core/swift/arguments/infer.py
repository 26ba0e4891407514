"""Arguments of ``swift infer``, ``deploy``, ``rollout`` and ``eval``.

Engine settings (vLLM, LMDeploy, SGLang …) are not here: each engine plugin
contributes its own argument group, and ``--infer_backend`` is checked against
the installed engines when the command runs.
"""

import os
import re
from typing import Literal

from swift.arguments._fields import arg, argclass
from swift.arguments.base import BaseArguments
from swift.arguments.errors import ArgumentError

#: Environment variable read for --api_key / --vllm_server_api_key when the flag is not given.
API_KEY_ENV = "SWIFT_API_KEY"

# backend spellings of ms-swift versions and docs, mapped to engine names
BACKEND_ALIASES = {"transformers": "pt", "pytorch": "pt", "hf": "pt"}


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:([KMGT]?)(i?)B)?\s*$", re.IGNORECASE)


def size_bytes(value: str | int, flag: str = "--max_shard_size") -> int:
    """A size flag in bytes: ``5GiB`` (binary), ``5GB`` (decimal) or a number of bytes.

    Raises:
        ArgumentError: For anything else (naming ``flag``).
    """
    if isinstance(value, int):
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ArgumentError(f"{flag} {value!r}: give a size such as 5GiB, 500MB or a number of bytes")
    number, unit, binary = match.groups()
    base = 1024 if binary else 1000
    return int(float(number) * base ** "_KMGT".index((unit or "_").upper()))


@argclass
class MergeArguments:
    """Merge: writing LoRA (and LLaMA-Pro, LongLoRA) weights into the model."""

    merge_lora: bool = arg(False, "Merge the adapters into the base weights.")
    safe_serialization: bool = arg(True, "Save merged weights as safetensors.")
    max_shard_size: str = arg("5GiB", "Largest size of one saved weight file (5GiB, 500MB, bytes).")

    def __post_init__(self) -> None:
        size_bytes(self.max_shard_size)  # refuse a malformed size at parse time
        if not self.safe_serialization:
            raise ArgumentError(
                "--safe_serialization false: transformers 5 writes safetensors only (no pytorch .bin files); "
                "drop the flag"
            )
        parent = getattr(super(), "__post_init__", None)
        if parent is not None:
            parent()


@argclass
class InferArguments(MergeArguments, BaseArguments):
    """Arguments of ``swift infer``."""

    ckpt_dir: str | None = arg(None, "Checkpoint folder: adapters or full weights of a training run.")
    infer_backend: str = arg("pt", "Inference engine: pt (transformers), vllm, lmdeploy, sglang … (engine plugins).")
    result_path: str | None = arg(None, "Where results are written; unset = next to the checkpoint.")
    writer_buffer_size: int = arg(65536, "Buffer size of the result writer, in bytes.")
    max_batch_size: int | None = arg(1, "Batch size of the pt backend.")
    val_dataset_sample: int | None = arg(None, "Number of validation samples to infer on.")
    metric: Literal["acc", "rouge"] | None = arg(
        None, "Score dataset answers against their references: acc (exact match) or rouge (ROUGE-L F1)."
    )

    def __post_init__(self) -> None:
        self.infer_backend = normalize_backend(self.infer_backend)
        super().__post_init__()


def normalize_backend(name: str) -> str:
    """Lower-case an engine name and map aliases (``transformers`` → ``pt``)."""
    lowered = name.strip().lower()
    return BACKEND_ALIASES.get(lowered, lowered)


@argclass
class DeployArguments(InferArguments):
    """Arguments of ``swift deploy``: an OpenAI-compatible server."""

    host: str = arg("0.0.0.0", "Host the server binds to.")
    port: int = arg(8000, "Port the server listens on.")
    api_key: str | None = arg(None, "Bearer key clients must send; unset = $SWIFT_API_KEY (kept out of `ps`).")
    ssl_keyfile: str | None = arg(None, "SSL key file.")
    ssl_certfile: str | None = arg(None, "SSL certificate file.")
    owned_by: str = arg("swift", "Owner reported by /v1/models.")
    # Concurrent clients (and GRPO rounds on a rollout server) are batched together.
    max_batch_size: int | None = arg(64, "pt backend: most requests generated in one batch.")
    served_model_name: str | None = arg(None, "Model name clients use; unset = the model's folder name.")
    verbose: bool = arg(True, "Log every request.")
    log_interval: int = arg(20, "Seconds between statistics logs; 0 or less disables them.")

    max_logprobs: int = arg(20, "Most logprobs a request may ask for.")
    # Request limits: one request must not take a shared server down (413/400 past them).
    max_request_bytes: str = arg("16MiB", "Largest request body (16MiB, 500KB, bytes); larger ones get 413.")
    max_n: int = arg(128, "Most answers (n) one request may ask for.")
    max_prompts: int = arg(1024, "Most prompts of one /v1/completions request (and requests of one /infer).")
    max_messages: int = arg(1024, "Most messages of one conversation.")
    max_json_depth: int = arg(32, "Deepest nesting of a request's JSON.")
    max_images: int = arg(16, "Vision-language models: most images of one conversation.")
    allow_remote_media: bool = arg(
        False,
        "Let requests name images by http(s) URL (the server fetches them) or file:// / local path (it reads "
        "them); off: only data: URLs, so a client cannot make the server fetch or read anything.",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.api_key is None:
            self.api_key = os.environ.get(API_KEY_ENV) or None
        size_bytes(self.max_request_bytes, "--max_request_bytes")
        for name in ("max_n", "max_prompts", "max_messages", "max_json_depth", "max_images"):
            if getattr(self, name) < 1:
                raise ArgumentError(f"--{name} must be at least 1, got {getattr(self, name)}")


@argclass
class RolloutArguments(DeployArguments):
    """Arguments of ``swift rollout``: generation server for GRPO with weight sync."""

    infer_backend: str = arg("vllm", "Inference engine; rollout needs one that can update weights (vllm).")
    multi_turn_scheduler: str | None = arg(None, "Multi-turn scheduler name (scheduler plugins); unset = one turn.")
    max_turns: int | None = arg(None, "Maximum turns of a multi-turn rollout.")
    weight_dirs: list[str] = arg(
        [], "Folders a JSON /update_weights {path} may name (with their subfolders); unset = path pushes refused."
    )
    max_weights_bytes: str = arg("64GiB", "Largest /update_weights body; it is spooled to disk, not held in memory.")

    def __post_init__(self) -> None:
        super().__post_init__()
        size_bytes(self.max_weights_bytes, "--max_weights_bytes")


@argclass
class EvalArguments(DeployArguments):
    """Arguments of ``swift eval``."""

    eval_dataset: list[str] = arg(
        [],
        "Evaluation datasets: lm-eval task/group names, or local jsonl files (multiple-choice or question/answer).",
    )
    eval_limit: int | None = arg(None, "Samples taken from each evaluation dataset.")
    eval_output_dir: str = arg("eval_output", "Folder for evaluation results (one new subfolder per run).")
    eval_backend: str = arg(
        "lm_eval", "Evaluation backend: lm_eval (lm-evaluation-harness) or one a plugin adds (eval_backends family)."
    )
    eval_args: dict | None = arg(None, "Options of the backend as JSON (lm_eval: num_fewshot, model_args …).")
    eval_dataset_args: dict | None = arg(None, "Per-dataset options as JSON (EvalScope's; refused by lm_eval).")
    eval_generation_config: dict | None = arg(None, "Generation options for evaluation as JSON (max_gen_toks …).")
    eval_num_proc: int = arg(16, "Concurrent evaluation requests (at most --max_batch_size).")
    eval_url: str | None = arg(None, "Evaluate a running OpenAI-compatible server (with --model and --api_key).")
    temperature: float | None = arg(0.0, "Sampling temperature; 0 for reproducible scores.")
    verbose: bool = arg(False, "Log every request of the local server.")
    max_batch_size: int | None = arg(256, "Largest batch of the local server (256 for text models).")
