"""Fixtures of the cross-package end-to-end tests: data files and the ``swift`` executable."""

from __future__ import annotations

import functools
import json
import os
import random

import pytest

from swift_sdk.cli import free_port, swift_server
from swift_sdk.cli import run_swift as sdk_run_swift

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")


@pytest.fixture(scope="session")
def chat_file(tmp_path_factory) -> str:
    """32 short chats (sums) in a jsonl file."""
    rng = random.Random(0)
    path = tmp_path_factory.mktemp("e2e-data") / "chats.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for _ in range(32):
            a, b = rng.randint(1, 9), rng.randint(1, 9)
            messages = [
                {"role": "user", "content": f"what is {a} plus {b}?"},
                {"role": "assistant", "content": f"{a} plus {b} equals {a + b}."},
            ]
            fh.write(json.dumps({"messages": messages}) + "\n")
    return str(path)


@pytest.fixture(scope="session")
def text_files(tmp_path_factory) -> dict[str, str]:
    """The same plain text as a ``.txt`` file and as a ``{"text": ...}`` jsonl."""
    from swift_sdk.tiny import training_text

    folder = tmp_path_factory.mktemp("e2e-text")
    lines = training_text(30, seed=2)
    (folder / "corpus.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps({"text": line}) + "\n")
    return {"txt": str(folder / "corpus.txt"), "jsonl": str(folder / "corpus.jsonl")}


@pytest.fixture
def run_swift(tmp_path):
    """``run_swift(*argv, env=None, timeout=...)`` → ``CompletedProcess`` of ``swift <argv>``."""
    return functools.partial(sdk_run_swift, cwd=tmp_path)


@pytest.fixture
def port() -> int:
    """A free port for torchrun."""
    return free_port()


def deployed(argv: list[str], log_path, timeout: float = 180):
    """``swift deploy <argv>`` on a free local port until the block ends; yields its base URL."""
    return swift_server("deploy", *argv, log_path=log_path, env={"HF_HUB_OFFLINE": "1"}, timeout=timeout)


@pytest.fixture(scope="session")
def deploy_server():
    """``with deploy_server(argv, log_path) as url:`` — a ``swift deploy`` subprocess for the block."""
    return deployed
