"""Fixtures of the package-level tests: a fresh venv (see freshvenv.py), a tiny Llama, chat data."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest


def _load_freshvenv():
    # Test folders are not packages (importlib import mode): load the helper by path, once.
    name = "swift_tests_freshvenv"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("freshvenv.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


freshvenv = _load_freshvenv()


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory):
    """A venv with swift, swift-transformers, swift-peft and swift-sdk pip-installed (see freshvenv.py)."""
    return freshvenv.new_venv(tmp_path_factory.mktemp("fresh-venv"))


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory) -> str:
    """A tiny Llama-architecture checkpoint (the example-tiny model type is Llama)."""
    from swift_sdk.tiny import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny-llama") / "tiny-llama", "llama"))


@pytest.fixture(scope="session")
def chats(tmp_path_factory) -> str:
    """A jsonl file of 8 short chats, some polite."""
    path = tmp_path_factory.mktemp("chats") / "chats.jsonl"
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"what is {i} plus 1?"},
                {"role": "assistant", "content": f"{i + 1}, thank you for asking."},
            ],
            "solution": str(i + 1),
        }
        for i in range(8)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)
