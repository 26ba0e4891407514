"""The runner of a web UI job: ``python -m swift_ui.jobrun <job folder>`` (see :mod:`swift_ui.jobs`).

Runs ``swift <command> <argv>`` with the log as its output, waits for it and writes
``exit_code`` atomically. SIGINT/SIGTERM reach the command too (same process group);
the runner itself ignores them so that it always records how the command ended.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from swift_ui.jobs import EXIT_FILE, JOB_FILE, LOG_FILE, write_atomic


def main(folder: str) -> int:
    """Run the job of ``folder`` to its end and record its exit status."""
    with open(os.path.join(folder, JOB_FILE), encoding="utf-8") as fh:
        job = json.load(fh)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(os.path.join(folder, LOG_FILE), "ab") as log:
        log.write(f"$ {job['command_line']}\n".encode())
        log.flush()
        try:
            child = subprocess.Popen(
                [sys.executable, "-m", "swift.cli.main", job["command"], *job["argv"]],
                cwd=job["cwd"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                # the command gets the default handlers back (SIGINT = KeyboardInterrupt)
                preexec_fn=lambda: (
                    signal.signal(signal.SIGINT, signal.default_int_handler),
                    signal.signal(signal.SIGTERM, signal.SIG_DFL),
                ),
            )
            code = child.wait()
        except OSError as exc:
            log.write(f"swift web-ui: error: cannot start the job: {exc}\n".encode())
            code = 127
    write_atomic(os.path.join(folder, EXIT_FILE), f"{code}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
