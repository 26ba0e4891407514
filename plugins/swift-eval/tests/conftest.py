"""Fixtures of the swift-eval tests: a tiny offline model and evaluation files built from it."""

from __future__ import annotations

import contextlib
import os

import pytest

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")


@pytest.fixture(scope="module", autouse=True)
def module_kernel():
    """A strict kernel of the installed plugins for each module, restored after."""
    from swift.kernel import Kernel, set_kernel

    previous = set_kernel(Kernel(strict=True))
    try:
        yield
    finally:
        set_kernel(previous)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> str:
    """A tiny Qwen3 checkpoint with a ChatML tokenizer."""
    from swift_sdk.tiny import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-qwen3", arch="qwen3"))


@pytest.fixture
def eval_args(tiny_model_dir, tmp_path):
    """``eval_args(**flags)`` → ``EvalArguments`` writing under ``tmp_path/eval_output``."""
    from swift.arguments import EvalArguments

    def make(**flags):
        flags.setdefault("model", tiny_model_dir)
        flags.setdefault("eval_output_dir", str(tmp_path / "eval_output"))
        flags.setdefault("max_batch_size", 8)
        flags.setdefault("eval_num_proc", 4)
        return EvalArguments(**flags)

    return make


@pytest.fixture
def swift_eval():
    """``swift_eval(args)`` → the summary of ``swift eval``, run through the command as the CLI runs it."""
    from swift.cli.main import run_command

    return lambda args: run_command("eval", args)


@pytest.fixture
def deployed():
    """``deployed(model_dir)``: a context manager serving the model like ``swift deploy`` → ``(url, served name)``."""
    return _deployed


@contextlib.contextmanager
def _deployed(model_dir: str):
    """A ``swift deploy`` app over the model on a free port: ``(url, served name)``."""
    from swift_serve.api import BackgroundServer, create_app

    from swift.arguments import DeployArguments
    from swift.pipelines.infer_engine import create_engine

    args = DeployArguments(model=model_dir, host="127.0.0.1", verbose=False, log_interval=0, max_batch_size=8)
    engine = create_engine(args)
    try:
        app = create_app(engine, args)
        with BackgroundServer(app, args) as server:
            yield server.url, app.state.server.catalog.default.name
    finally:
        engine.close()
