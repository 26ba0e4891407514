"""The ``openai`` argument group: where ``--infer_backend openai`` sends requests. Light: only the dataclass."""

from __future__ import annotations

from dataclasses import dataclass

from swift.arguments import arg
from swift.kernel import UsageError


@dataclass(kw_only=True)
class OpenAIEngineArguments:
    """OpenAI-compatible server: settings of --infer_backend openai (SGLang, LMDeploy, vLLM serve, swift deploy).

    ``swift rlhf --rlhf_type grpo`` samples its rollouts there when ``--base_url`` is given.
    """

    base_url: str | None = arg(
        None, "Address of the server, e.g. http://127.0.0.1:30000/v1 (--infer_backend openai; GRPO: where it samples)."
    )
    api_key: str | None = arg(None, "Key the server wants; unset = $OPENAI_API_KEY, then $SWIFT_API_KEY.")
    request_timeout: float = arg(600.0, "Seconds one request to the server may take.")
    max_concurrency: int = arg(32, "Most requests in flight to the server at once.")

    def __post_init__(self) -> None:
        if self.max_concurrency < 1:
            raise UsageError(f"--max_concurrency must be at least 1, got {self.max_concurrency}")
        if self.request_timeout <= 0:
            raise UsageError(f"--request_timeout must be positive, got {self.request_timeout}")


@dataclass(kw_only=True)
class LmdeployArguments:
    """LMDeploy (the reference's "LMDeploy参数"): TurboMind engine settings, given to an LMDeploy server.

    No LMDeploy engine runs inside swift: ``lmdeploy serve api_server`` serves the model and
    ``--infer_backend openai`` drives it. A setting changed here is refused with the server
    flag to pass instead (swift-serve's checks), never silently dropped.
    """

    tp: int = arg(1, "LMDeploy: tensor parallel degree (lmdeploy serve api_server --tp).")
    session_len: int | None = arg(None, "LMDeploy: longest session in tokens (--session-len).")
    cache_max_entry_count: float = arg(0.8, "LMDeploy: share of free GPU memory for the KV cache.")
    quant_policy: int = arg(0, "LMDeploy: KV cache quantization, 0, 4 or 8 bits (--quant-policy).")
    vision_batch_size: int = arg(1, "LMDeploy: images encoded per batch (--vision-max-batch-size).")


# each setting's lmdeploy serve api_server flag
LMDEPLOY_SERVER_FLAGS = {
    "tp": "--tp",
    "session_len": "--session-len",
    "cache_max_entry_count": "--cache-max-entry-count",
    "quant_policy": "--quant-policy",
    "vision_batch_size": "--vision-max-batch-size",
}
