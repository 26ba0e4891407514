"""Fixtures of the cross-package end-to-end tests: data files and the ``swift`` executable."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

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


def swift_command() -> list[str]:
    """The installed ``swift`` script next to this interpreter (or ``python -m swift.cli.main``)."""
    script = Path(sys.executable).with_name("swift")
    if script.exists():
        return [str(script)]
    found = shutil.which("swift")
    return [found] if found else [sys.executable, "-m", "swift.cli.main"]


def free_port() -> int:
    """A TCP port nobody listens on right now (for torchrun's MASTER_PORT)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def run_swift(tmp_path):
    """``run_swift(*argv, env=None, timeout=...)`` → ``CompletedProcess`` of ``swift <argv>``."""

    def run(
        *argv: str, env: dict[str, str] | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess:
        full_env = {
            **os.environ,
            "SWIFT_PLUGINS_STRICT": "1",
            "OMP_NUM_THREADS": "1",
            **(env or {}),
        }
        return subprocess.run(
            [*swift_command(), *argv],
            cwd=tmp_path,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def port() -> int:
    """A free port for torchrun."""
    return free_port()
