"""Run the installed ``swift`` executable the way a user does, as a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
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
