"""Shared fixtures of the swift-transformers tests: tiny offline models built once per session."""

from __future__ import annotations

import os

import pytest

# No test may reach a model hub: a hub id must fail fast instead of retrying for a minute.
for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> str:
    """A tiny Qwen3 checkpoint (config, safetensors, trained BPE tokenizer with ChatML)."""
    from swift_sdk.tiny import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-qwen3", arch="qwen3"))


@pytest.fixture(scope="session")
def tiny_llama_dir(tmp_path_factory) -> str:
    """A tiny Llama checkpoint with the same tokenizer as :func:`tiny_model_dir`."""
    from swift_sdk.tiny import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-llama", arch="llama"))
