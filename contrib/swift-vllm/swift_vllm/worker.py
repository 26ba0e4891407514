"""Methods added to vLLM's workers (``worker_extension_cls``): weight updates.

vLLM runs the model in worker processes; the engine reaches them with
``collective_rpc("swift_load_weights", args=(payload,))``, which calls the method
below on every worker with ``self`` being the worker. Imported only inside vLLM's
worker processes, by the qualified name in :mod:`swift_vllm.engine_args`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

EXTENSION = "swift_vllm.worker.SwiftWorkerExtension"


class SwiftWorkerExtension:
    """Weight loading for GRPO rollouts, mixed into vLLM's worker class."""

    def swift_load_weights(self, payload: bytes) -> int:
        """Copy the tensors of a safetensors payload (transformers names) into the model.

        The tensors travel as safetensors bytes: vLLM's RPC serialiser passes bytes
        through untouched, whereas tensors nested in argument lists arrive as lists.
        vLLM's in-place ``reload_weights`` maps transformers names onto its fused and
        repacked kernel tensors (``q_proj`` → a shard of ``qkv_proj`` …), shards them for
        tensor parallelism and casts to the serving dtype; it needs every part of a
        fused layer, which :class:`swift_vllm.weights.WeightBook` makes sure of.

        Returns:
            The number of tensors applied.
        """
        from safetensors.torch import load

        tensors = load(payload)
        with _quiet_partial_reload():
            self.reload_weights(weights_iterator=iter(tensors.items()))  # type: ignore[attr-defined]
        return len(tensors)


@contextlib.contextmanager
def _quiet_partial_reload() -> Iterator[None]:
    # vLLM warns "Failed to load weights" for every layer an update leaves out; a GRPO
    # push leaves most layers out on purpose, so those lines would only alarm users.
    names = (
        "vllm.model_executor.model_loader.reload.layerwise",
        "vllm.model_executor.model_loader.reload.inplace",
    )
    loggers = [logging.getLogger(name) for name in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)
