"""Relaunching a command under ``torchrun`` when distributed variables are set.

Like ms-swift: ``NPROC_PER_NODE=2 swift sft …`` re-executes itself as
``python -m torch.distributed.run --nproc_per_node 2 … -m swift.cli.main sft …``.
Torch is only imported by the child processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

_FORWARDED = ("NNODES", "NODE_RANK", "MASTER_ADDR", "MASTER_PORT")


def should_relaunch(environ: Mapping[str, str] = os.environ) -> bool:
    """True outside torchrun when ``NPROC_PER_NODE`` or ``NNODES`` asks for several processes."""
    if "LOCAL_RANK" in environ or "TORCHELASTIC_RUN_ID" in environ:
        return False
    return bool(environ.get("NPROC_PER_NODE") or environ.get("NNODES"))


def torchrun_command(command: str, argv: Sequence[str], environ: Mapping[str, str] = os.environ) -> list[str]:
    """The full command line that runs ``swift <command> argv`` under torchrun."""
    nproc = environ.get("NPROC_PER_NODE", "1")
    nnodes = environ.get("NNODES", "1")
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}", f"--nnodes={nnodes}"]
    if "NODE_RANK" in environ:
        cmd.append(f"--node_rank={environ['NODE_RANK']}")
    cmd.append(f"--master_addr={environ.get('MASTER_ADDR', '127.0.0.1')}")
    cmd.append(f"--master_port={environ.get('MASTER_PORT', '29500')}")
    return [*cmd, "-m", "swift.cli.main", command, *argv]


def relaunch(command: str, argv: Sequence[str]) -> int:
    """Run the command under torchrun and return its exit status."""
    cmd = torchrun_command(command, argv)
    print(f"swift: running under torchrun: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    return subprocess.call(cmd)
