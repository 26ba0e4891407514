"""Fixtures of the swift-serve tests: one real engine and real uvicorn servers per session.

The engine is the ``pt`` engine on a tiny offline Qwen3 with a LoRA adapter
``lora1`` whose weights are random (non-zero), built exactly as ``swift deploy``
builds it. Servers run on 127.0.0.1 in background threads of the test process;
clients are the official ``openai`` package and raw ``httpx``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess

import pytest

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")

API_KEY = "sk-test-key"


@contextlib.contextmanager
def own_kernel():
    """A strict kernel of our own (installed entry points, as a user has them), restored after."""
    from swift.kernel import Kernel, set_kernel

    previous = set_kernel(Kernel(strict=True))
    try:
        yield
    finally:
        set_kernel(previous)


@pytest.fixture(scope="module", autouse=True)
def module_kernel():
    """Each test module runs with its own kernel, so no other test folder's state leaks in or out."""
    with own_kernel():
        yield


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> str:
    """A tiny Qwen3 checkpoint (config, safetensors, BPE tokenizer with ChatML)."""
    from swift_sdk.tiny import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-qwen3", arch="qwen3"))


@pytest.fixture(scope="session")
def lora_dir(tiny_model_dir, tmp_path_factory) -> str:
    """A peft LoRA adapter for the tiny model whose B weights are random, so it changes answers."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(1)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    config = LoraConfig(r=8, lora_alpha=64, target_modules=["q_proj", "v_proj", "o_proj"], init_lora_weights=False)
    path = tmp_path_factory.mktemp("lora") / "checkpoint-7"
    get_peft_model(model, config).save_pretrained(path)
    return str(path)


def deploy_args(model_dir: str, **flags):
    """``DeployArguments`` as the command line would build them (quiet by default)."""
    from swift.arguments import DeployArguments

    flags.setdefault("verbose", False)
    flags.setdefault("log_interval", 0)
    return DeployArguments(model=model_dir, host="127.0.0.1", port=0, **flags)


@pytest.fixture(scope="session")
def api_key() -> str:
    """The key :func:`secured_server` accepts."""
    return API_KEY


@pytest.fixture(scope="session")
def make_deploy_args():
    """``make_deploy_args(model_dir, **flags)`` → ``DeployArguments`` for a quiet server on 127.0.0.1."""
    return deploy_args


@pytest.fixture(scope="session")
def serve_args(tiny_model_dir, lora_dir):
    return deploy_args(tiny_model_dir, adapters=[f"lora1={lora_dir}"], max_batch_size=16, max_logprobs=5)


@pytest.fixture(scope="session")
def engine(serve_args):
    """The pt engine, built the way `swift infer` / `swift deploy` build it."""
    from swift.pipelines.infer_engine import create_engine

    with own_kernel():  # the session engine must not depend on whichever module built it
        engine = create_engine(serve_args)
    yield engine
    engine.close()


def _serve(app, args=None):
    from swift_serve.server import BackgroundServer

    return BackgroundServer(app, args)


@pytest.fixture(scope="session")
def server(engine, serve_args):
    """A server without an API key over the session engine."""
    from swift_serve.app import create_app

    with _serve(create_app(engine, serve_args)) as running:
        yield running


@pytest.fixture(scope="session")
def secured_server(engine, tiny_model_dir, lora_dir):
    """A second server over the same engine that requires ``Authorization: Bearer sk-test-key``."""
    from swift_serve.app import create_app

    args = deploy_args(tiny_model_dir, adapters=[f"lora1={lora_dir}"], api_key=API_KEY)
    with _serve(create_app(engine, args)) as running:
        yield running


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (made with the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return str(key), str(cert)


@pytest.fixture(scope="session")
def client(server):
    """The official OpenAI client pointed at :func:`server`."""
    import openai

    with openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=120) as c:
        yield c


@pytest.fixture(scope="session")
def http(server):
    """A raw httpx client for :func:`server` (for requests the openai client would not send)."""
    import httpx

    with httpx.Client(base_url=server.url, timeout=120) as c:
        yield c


@pytest.fixture
def ask():
    """``ask("hi")`` → chat messages with one user turn."""
    return lambda text: [{"role": "user", "content": text}]
