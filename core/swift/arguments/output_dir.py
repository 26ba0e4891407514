"""Choose and create the folder a training run writes to — never one another run uses."""

import os
import re
from datetime import datetime
from typing import Any

from swift.arguments.base import model_suffix
from swift.arguments.errors import ArgumentError

_VERSION_RE = re.compile(r"v(\d+)-")


def _next_version(folder: str) -> int:
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0
    versions = [int(m.group(1)) for m in map(_VERSION_RE.match, names) if m]
    return max(versions, default=-1) + 1


def _is_resume_source(folder: str, resume_from: str | None) -> bool:
    if not resume_from:
        return False
    folder, resume_from = os.path.abspath(folder), os.path.abspath(resume_from)
    return resume_from == folder or resume_from.startswith(folder + os.sep)


def prepare_output_dir(args: Any, *, now: datetime | None = None) -> str:
    """Create the run's output folder, set ``args.output_dir`` to it and return it.

    ``output_dir`` defaults to ``output/<last path component of --model>``. With
    ``add_version`` a new ``v<N>-<YYYYMMDD-HHMMSS>`` subfolder is made, N one
    above the highest existing version; the folder is created exclusively, so
    two runs started in the same second get different N. Without
    ``add_version`` an existing non-empty folder is refused unless the run
    resumes from a checkpoint inside it.

    Call it once, in the process that owns the run (rank 0), before saving
    anything.

    Args:
        args: Training arguments (``output_dir``, ``model``, ``add_version``,
            ``resume_from_checkpoint`` are read).
        now: Timestamp of the version suffix (default: the current time).

    Returns:
        The absolute path of the created folder.

    Raises:
        ArgumentError: No folder can be named, or it belongs to another run.
    """
    base = args.output_dir
    if not base:
        suffix = model_suffix(getattr(args, "model", None))
        if suffix is None:
            raise ArgumentError("cannot name the output folder: give --output_dir or --model.")
        base = os.path.join("output", suffix)
    base = os.path.abspath(os.path.expanduser(base))
    if getattr(args, "add_version", False):
        os.makedirs(base, exist_ok=True)
        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        version = _next_version(base)
        while True:
            path = os.path.join(base, f"v{version}-{stamp}")
            try:
                os.makedirs(path, exist_ok=False)
                break
            except FileExistsError:
                # another run took this name in the same second: take the next version
                version += 1
    else:
        path = base
        if os.path.isdir(path) and os.listdir(path):
            if not _is_resume_source(path, getattr(args, "resume_from_checkpoint", None)):
                raise ArgumentError(
                    f"output folder {path} already holds another run. "
                    "Choose a new --output_dir, or keep --add_version true (the default)."
                )
        os.makedirs(path, exist_ok=True)
    args.output_dir = path
    return path
