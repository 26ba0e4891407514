"""Fixtures of the swift-vllm tests: one real vLLM engine per session on a tiny model.

They run in the vllm venv (``scripts/test_vllm.sh``): vLLM on CPU needs head_dim 64,
``VLLM_CPU_KVCACHE_SPACE`` and a script file as ``__main__``, which pytest is. Every
test compares with the ``pt`` engine (transformers) on the same model and template.
"""

from __future__ import annotations

import contextlib
import os

import pytest

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")

pytest.importorskip("vllm", reason="swift-vllm's tests run in the vllm venv: scripts/test_vllm.sh")

QUESTIONS = ("hello", "What is the weather today in the city?", "你好，世界")


@contextlib.contextmanager
def own_kernel():
    """A strict kernel (installed entry points, as a user has them), restored after."""
    from swift.kernel import Kernel, set_kernel

    previous = set_kernel(Kernel(strict=True))
    try:
        yield
    finally:
        set_kernel(previous)


@pytest.fixture(scope="module", autouse=True)
def module_kernel():
    with own_kernel():
        yield


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> str:
    """A tiny Qwen3 vLLM's CPU attention accepts (head_dim 64)."""
    from swift_sdk.tiny import build_tiny_model

    path = tmp_path_factory.mktemp("tiny") / "tiny-qwen3"
    return str(build_tiny_model(path, hidden_size=128, num_heads=2, num_kv_heads=2, head_dim=64))


def make_lora(model_dir: str, folder, seed: int, rank: int = 8) -> str:
    """A peft LoRA on q/v/down projections with random (non-zero) B, so it changes answers."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    config = LoraConfig(
        r=rank, lora_alpha=4 * rank, target_modules=["q_proj", "v_proj", "down_proj"],
        init_lora_weights=False,
    )  # fmt: skip
    get_peft_model(model, config).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="session")
def lora_dirs(model_dir, tmp_path_factory) -> tuple[str, str]:
    root = tmp_path_factory.mktemp("lora")
    return make_lora(model_dir, root / "a", 1), make_lora(model_dir, root / "b", 2)


def vllm_args(model_dir: str, command: str = "deploy", **flags):
    """Arguments of ``command`` plus the vLLM group, as the command line builds them."""
    from swift_vllm.arguments import VllmArguments

    import swift.arguments as arguments
    from swift.arguments import compose

    base = {"infer": arguments.InferArguments, "deploy": arguments.DeployArguments,
            "rollout": arguments.RolloutArguments}[command]  # fmt: skip
    flags.setdefault("enforce_eager", True)  # no torch.compile warm-up: loads in seconds
    if command != "infer":
        flags.update(host="127.0.0.1", port=0, verbose=False, log_interval=0)
    return compose(base, (VllmArguments,))(model=model_dir, infer_backend="vllm", **flags)


@pytest.fixture(scope="session")
def make_args():
    """``make_args(model_dir, command, **flags)``: see :func:`vllm_args`."""
    return vllm_args


@pytest.fixture(scope="session")
def serve_args(model_dir, lora_dirs):
    return vllm_args(model_dir, adapters=[f"lora1={lora_dirs[0]}"], max_logprobs=5)


@pytest.fixture(scope="session")
def engine(serve_args):
    """The session's vLLM engine, built as ``swift deploy --infer_backend vllm`` builds it."""
    from swift.pipelines.infer_engine import create_engine

    with own_kernel():
        engine = create_engine(serve_args)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def pt_engine(model_dir, lora_dirs):
    """The transformers engine on the same model, template and adapter: the reference."""
    from swift.arguments import InferArguments
    from swift.pipelines.infer_engine import create_engine

    with own_kernel():
        engine = create_engine(InferArguments(model=model_dir, adapters=[f"lora1={lora_dirs[0]}"], max_batch_size=8))
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def chats():
    from swift.protocol import InferRequest

    return [InferRequest(messages=[{"role": "user", "content": q}]) for q in QUESTIONS]
