"""Processes and folders of a training run: which rank writes, and which folder it writes to.

Under torchrun every rank runs the same code, but only rank 0 may create the
versioned run folder (``output/<model>/v<N>-<time>``); the others receive its
path. A full resume (``--resume_from_checkpoint`` without
``--resume_only_model``) continues in the folder the checkpoint belongs to.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from swift.arguments import prepare_output_dir
from swift.kernel import UsageError


def rank() -> int:
    """Global rank of this process (0 outside torchrun)."""
    return int(os.environ.get("RANK", "0"))


def is_main_process() -> bool:
    """Whether this process writes run files (args.json, logging.jsonl, messages)."""
    return rank() == 0


def init_distributed(args: Any) -> bool:
    """Join the process group when launched by torchrun; returns whether the run is distributed.

    The group is created here, before transformers would, because the ranks
    must agree on the run folder before the Trainer exists. accelerate and
    DeepSpeed reuse an initialised group. CPU runs use gloo.
    """
    import torch
    import torch.distributed as dist

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    if dist.is_initialized():
        return True
    backend = getattr(args, "ddp_backend", None)
    if torch.cuda.is_available() and not getattr(args, "use_cpu", False):
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        backend = backend or "nccl"
    else:
        backend = backend or "gloo"
    dist.init_process_group(backend=backend, timeout=timedelta(seconds=getattr(args, "ddp_timeout", 1800)))
    return True


def resume_checkpoint(args: Any) -> str | None:
    """The absolute ``--resume_from_checkpoint`` folder, checked to exist."""
    path = getattr(args, "resume_from_checkpoint", None)
    if not path:
        return None
    path = os.path.abspath(os.path.expanduser(path))
    if not os.path.isdir(path):
        raise UsageError(f"--resume_from_checkpoint {path}: no such checkpoint folder")
    return path


def choose_run_dir(args: Any) -> str:
    """Create (rank 0) and agree on (all ranks) the folder of this run; sets ``args.output_dir``.

    Returns:
        The absolute run folder.
    """
    checkpoint = resume_checkpoint(args)
    if checkpoint and not getattr(args, "resume_only_model", False):
        if not os.path.isfile(os.path.join(checkpoint, "trainer_state.json")):
            raise UsageError(
                f"{checkpoint} has no trainer_state.json, so training cannot resume from it; "
                "add --resume_only_model to start a new run from its weights."
            )
        # the run goes on where it stopped: same folder, next checkpoints beside the old ones
        args.output_dir = os.path.dirname(checkpoint)
        return args.output_dir
    error: BaseException | None = None
    path: str | None = None
    if is_main_process():
        try:
            path = prepare_output_dir(args)
        except Exception as exc:  # the other ranks must hear of it, or they wait forever
            error = exc
    path, message = _broadcast((path, str(error) if error else None))
    if error is not None:
        raise error
    if message is not None:
        raise UsageError(f"rank 0 could not create the output folder: {message}")
    args.output_dir = path
    return path


def _broadcast(value: Any) -> Any:
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier() -> None:
    """Wait for every rank (no-op outside a process group)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
