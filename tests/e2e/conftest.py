"""Fixtures of the cross-package end-to-end tests: data files and the ``swift`` executable."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import socket

import pytest

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


def free_port() -> int:
    """A TCP port nobody listens on right now (for torchrun's MASTER_PORT)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def run_swift(tmp_path):
    """``run_swift(*argv, env=None, timeout=...)`` → ``CompletedProcess`` of ``swift <argv>``."""
    return functools.partial(sdk_run_swift, cwd=tmp_path)


@pytest.fixture
def port() -> int:
    """A free port for torchrun."""
    return free_port()


@contextlib.contextmanager
def deployed(argv: list[str], log_path, timeout: float = 180):
    """``swift deploy <argv>`` on a free local port until the block ends; yields its base URL.

    Waits for ``/health``; a server that exits or does not start fails the test with its log.
    """
    import subprocess
    import time

    import httpx

    from swift_sdk.cli import swift_command

    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SWIFT_PLUGINS_STRICT": "1"}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [*swift_command(), "deploy", *argv, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"swift deploy exited with {proc.returncode}:\n{open(log_path).read()}")
            try:
                if httpx.get(url + "/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"swift deploy did not start:\n{open(log_path).read()}")
            time.sleep(0.5)
        yield url
    finally:
        proc.kill()
        proc.wait(30)


@pytest.fixture(scope="session")
def deploy_server():
    """``with deploy_server(argv, log_path) as url:`` — a ``swift deploy`` subprocess for the block."""
    return deployed
