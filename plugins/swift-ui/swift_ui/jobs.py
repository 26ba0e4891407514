"""Jobs the web UI starts: ``swift <command> …`` subprocesses whose whole state is on disk.

A job is a folder ``<ui_dir>/<YYYYmmdd-HHMMSS>-<command>[-N]/``::

    job.json     command, argv, the exact command line, working folder, start time
    pid          the runner's process id (the runner leads the job's process group)
    log.txt      the command's stdout and stderr
    exit_code    written by the runner when the command ends
    stop         written when the UI asked the job to stop

The runner (``python -m swift_ui.jobrun <job folder>``) starts the command, waits and
writes ``exit_code``; it runs in its own session, so a job outlives the UI, and a restarted
UI rebuilds its list from these folders. The run folder of a training job is the one its
log announces (``swift: … run folder: <path>``); its ``logging.jsonl`` feeds the charts.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from typing import Any

JOB_FILE, PID_FILE, LOG_FILE, EXIT_FILE, STOP_FILE = "job.json", "pid", "log.txt", "exit_code", "stop"
_RUN_FOLDER = re.compile(r"^swift: .*run folder: (.+)$", re.M)
_ERROR_LINE = re.compile(r"^(swift[^:\n]*: error: .+|\w*Error: .+)$", re.M)


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file: readers see the old or the new, never half."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def _alive(pid: int, folder: str) -> bool:
    """Whether ``pid`` is still this job's runner (not a reused process id)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return os.path.abspath(folder).encode() in fh.read()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


@dataclasses.dataclass
class Job:
    """A job folder, read from disk."""

    folder: str
    command: str
    argv: list[str]
    cwd: str
    started: float

    @property
    def id(self) -> str:
        """The job folder's name."""
        return os.path.basename(self.folder)

    @property
    def command_line(self) -> str:
        """``swift <command> …`` as a shell line."""
        return shlex.join(["swift", self.command, *self.argv])

    @property
    def pid(self) -> int | None:
        """The runner's process id (it leads the job's process group)."""
        text = _read(os.path.join(self.folder, PID_FILE))
        return int(text) if text and text.strip().isdigit() else None

    @property
    def exit_code(self) -> int | None:
        """The command's exit status, None while it runs (or when the runner was killed)."""
        text = _read(os.path.join(self.folder, EXIT_FILE))
        return int(text) if text and text.strip().lstrip("-").isdigit() else None

    @property
    def state(self) -> str:
        """``running``, ``finished``, ``failed``, ``stopped`` or ``lost`` (ended without an exit status)."""
        code = self.exit_code
        if code is None:
            pid = self.pid
            if pid is None or _alive(pid, self.folder):
                return "running"
            return "lost"
        if os.path.exists(os.path.join(self.folder, STOP_FILE)):
            return "stopped"
        return "finished" if code == 0 else "failed"

    def log(self, max_chars: int = 20000) -> str:
        """The end of the job's log."""
        text = _read(os.path.join(self.folder, LOG_FILE)) or ""
        return text[-max_chars:]

    @property
    def run_dir(self) -> str | None:
        """The run folder the command announced, relative paths taken from the job's folder."""
        found = _RUN_FOLDER.findall(_read(os.path.join(self.folder, LOG_FILE)) or "")
        return os.path.join(self.cwd, found[-1].strip()) if found else None

    def error(self) -> str | None:
        """The error line of a failed job (``swift sft: error: …`` or the exception's last line)."""
        if self.state not in ("failed", "lost"):
            return None
        lines = _ERROR_LINE.findall(self.log())
        return lines[-1] if lines else f"exit status {self.exit_code}"

    def history(self) -> list[dict[str, Any]]:
        """The training log lines (``logging.jsonl``) with a loss or a learning rate."""
        run_dir = self.run_dir
        text = _read(os.path.join(run_dir, "logging.jsonl")) if run_dir else None
        rows = []
        for line in (text or "").splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue  # a line being written
            if isinstance(row, dict) and ("loss" in row or "learning_rate" in row):
                rows.append(row)
        return rows

    def checkpoints(self) -> list[str]:
        """The run's checkpoint folders, oldest first."""
        run_dir = self.run_dir
        if not run_dir or not os.path.isdir(run_dir):
            return []
        names = [n for n in os.listdir(run_dir) if re.fullmatch(r"checkpoint-\d+", n)]
        names.sort(key=lambda n: int(n.split("-")[1]))
        return [os.path.join(run_dir, n) for n in names]

    def stop(self, grace: float = 10.0) -> None:
        """Interrupt the job (SIGINT to its process group), then kill the group after ``grace`` seconds."""
        pid = self.pid
        if pid is None or self.state != "running":
            return
        write_atomic(os.path.join(self.folder, STOP_FILE), f"{time.time()}\n")
        for sig, wait in ((signal.SIGINT, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                return
            deadline = time.time() + wait
            while time.time() < deadline:
                if self.state != "running":
                    return
                time.sleep(0.1)


class JobStore:
    """The jobs of one ``--ui_dir``."""

    def __init__(self, root: str):
        self.root = os.path.abspath(root)

    def start(self, command: str, argv: list[str], cwd: str | None = None) -> Job:
        """Start ``swift <command> <argv>`` in the background; returns its job at once."""
        os.makedirs(self.root, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for n in range(1000):
            folder = os.path.join(self.root, f"{stamp}-{command}" + (f"-{n}" if n else ""))
            try:
                os.makedirs(folder)  # exclusive: two jobs never share a folder
                break
            except FileExistsError:
                continue
        job = Job(folder, command, list(argv), os.path.abspath(cwd or os.getcwd()), time.time())
        record = {k: v for k, v in dataclasses.asdict(job).items() if k != "folder"}
        write_atomic(os.path.join(folder, JOB_FILE), json.dumps({**record, "command_line": job.command_line}, indent=2))
        runner = subprocess.Popen(
            [sys.executable, "-m", "swift_ui.jobrun", folder],
            cwd=job.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: outlives the UI, stopped as a group
        )
        write_atomic(os.path.join(folder, PID_FILE), f"{runner.pid}\n")
        # reap the runner when it ends (no zombie holding its pid); a UI restart leaves it to init
        threading.Thread(target=runner.wait, name=f"reap-{job.id}", daemon=True).start()
        return job

    def jobs(self) -> list[Job]:
        """Every job of the folder, newest first."""
        out = []
        try:
            names = sorted(os.listdir(self.root), reverse=True)
        except FileNotFoundError:
            return []
        for name in names:
            job = self.get(name)
            if job is not None:
                out.append(job)
        return out

    def get(self, job_id: str) -> Job | None:
        """The job ``job_id`` (its folder name), or None."""
        folder = os.path.join(self.root, os.path.basename(job_id))
        text = _read(os.path.join(folder, JOB_FILE))
        if not text:
            return None
        try:
            data = json.loads(text)
            return Job(folder, data["command"], list(data["argv"]), data["cwd"], float(data["started"]))
        except (ValueError, KeyError, TypeError):
            return None
