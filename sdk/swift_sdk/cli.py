"""Run the installed ``swift`` executable the way a user does, as a separate process."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def swift_command() -> list[str]:
    """The ``swift`` script next to this interpreter (or ``python -m swift.cli.main``)."""
    script = Path(sys.executable).with_name("swift")
    return [str(script)] if script.exists() else [sys.executable, "-m", "swift.cli.main"]


def run_swift(
    *argv: str, cwd: str | Path | None = None, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess:
    """``swift <argv>`` in ``cwd`` with strict plugin loading and one torch thread.

    Returns:
        The ``CompletedProcess`` with text ``stdout``/``stderr``.
    """
    full_env = {**os.environ, "SWIFT_PLUGINS_STRICT": "1", "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run(
        [*swift_command(), *argv], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def swift_server(
    command: str, *argv: str, log_path: str | Path, env: dict[str, str] | None = None, timeout: float = 180
) -> Iterator[str]:
    """``swift <command> <argv> --port P`` (``deploy``, ``rollout``) until the block ends; yields ``http://127.0.0.1:P``.

    Waits for ``GET /health``; the server's output goes to ``log_path``.

    Raises:
        RuntimeError: The server exited or did not answer within ``timeout`` seconds (with its log).
    """
    port = free_port()
    full_env = {**os.environ, "SWIFT_PLUGINS_STRICT": "1", **(env or {})}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [*swift_command(), command, *argv, "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=full_env
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"swift {command} exited with {proc.returncode}:\n{Path(log_path).read_text()}")
            try:
                with urllib.request.urlopen(url + "/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"swift {command} did not start:\n{Path(log_path).read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        proc.kill()
        proc.wait(30)
