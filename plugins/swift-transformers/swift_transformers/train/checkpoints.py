"""Checkpoints that exist whole or not at all, and the check that names what a folder lacks.

transformers writes ``checkpoint-N/`` file by file (weights, optimizer, RNG, trainer
state); a process killed half way leaves a folder that looks like a checkpoint and is
not one. :class:`AtomicCheckpointMixin` lets transformers write everything (and the
run's ``args.json``) into ``.staging-checkpoint-N/checkpoint-N`` inside the run folder,
flushes it to disk and renames it to ``checkpoint-N`` in one step, so a crash at any
moment leaves either no ``checkpoint-N`` or a complete one (and a staging folder that
the run's next save removes).

What a broken folder lacks (one copied half way, or written by another tool) is
told before any work by :func:`swift.services.checkpoint_missing`.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

STAGING_PREFIX = ".staging-"
ARGS_FILE = "args.json"
TRAINER_STATE = "trainer_state.json"


def _fsync_tree(folder: str) -> None:
    # kill -9 keeps the page cache; fsync makes the checkpoint survive a power loss too
    for root, _, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(root)


def _fsync_dir(folder: str) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(written: str, final: str) -> None:
    """Rename the complete folder ``written`` to ``final`` (replacing an older ``final`` whole)."""
    _fsync_tree(written)
    parent = os.path.dirname(final)
    if os.path.exists(final):
        # a directory rename cannot replace a non-empty one: move the old aside first; the
        # old complete checkpoint stays until the new one is in place
        old = os.path.join(parent, f"{STAGING_PREFIX}replaced-{os.path.basename(final)}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        os.replace(written, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(written, final)
    _fsync_dir(parent)


def recover(run_dir: str) -> None:
    """Finish what a crash interrupted: put back a replaced checkpoint whose successor never arrived, drop deletions."""
    for entry in os.listdir(run_dir):
        path = os.path.join(run_dir, entry)
        if entry.startswith(f"{STAGING_PREFIX}replaced-"):
            final = os.path.join(run_dir, entry.removeprefix(f"{STAGING_PREFIX}replaced-"))
            if os.path.exists(final):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.replace(path, final)  # the crash came between the two renames of publish()
        elif entry.startswith(f"{STAGING_PREFIX}deleting-"):
            shutil.rmtree(path, ignore_errors=True)


def checkpoints(run_dir: str) -> list[str]:
    """The published ``checkpoint-N`` folders of ``run_dir``, by step."""
    found = []
    for entry in os.listdir(run_dir):
        step = entry.removeprefix("checkpoint-")
        if entry.startswith("checkpoint-") and step.isdigit() and os.path.isdir(os.path.join(run_dir, entry)):
            found.append((int(step), os.path.join(run_dir, entry)))
    return [path for _, path in sorted(found)]


def remove(folder: str) -> None:
    """Delete a checkpoint so that a crash half way never leaves a half-deleted ``checkpoint-N``."""
    parent, name = os.path.split(folder)
    doomed = os.path.join(parent, f"{STAGING_PREFIX}deleting-{name}")
    shutil.rmtree(doomed, ignore_errors=True)
    os.replace(folder, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


def rotate(run_dir: str, limit: int | None, best: str | None) -> None:
    """Keep at most ``limit`` checkpoints (``--save_total_limit``): the newest and the best always stay."""
    if not limit or limit <= 0:
        return
    found = checkpoints(run_dir)
    protected = {found[-1]} if found else set()
    if best:
        protected.add(os.path.abspath(best))
    keep = max(limit, len(protected))
    for folder in list(found):
        if len(found) <= keep:
            break
        if os.path.abspath(folder) not in protected:
            remove(folder)
            found.remove(folder)


class AtomicCheckpointMixin:
    """Write every ``checkpoint-N`` into a staging folder and rename it when complete.

    List it before the transformers/trl trainer class. Rotation (``--save_total_limit``)
    and ``--push_to_hub`` run on the published folder; rotation deletes a checkpoint by
    renaming it away first, so a crash never leaves one half deleted either.
    """

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

        args = self.args
        run_dir = self._get_output_dir(trial=trial)
        name = f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        staging = os.path.join(run_dir, STAGING_PREFIX + name)
        if args.should_save:
            # Saves of a run are sequential and one process writes its folder, so every staging
            # folder here is what a crash left — this step's or a later one's, when a resumed run
            # had not reached that step yet.
            for entry in os.listdir(run_dir):
                if entry.startswith(STAGING_PREFIX):
                    shutil.rmtree(os.path.join(run_dir, entry), ignore_errors=True)
            recover(run_dir)
        self.accelerator.wait_for_everyone()
        saved = (args.output_dir, args.save_total_limit, args.push_to_hub)
        # transformers writes into <output_dir>/checkpoint-N: point it at the staging folder,
        # and keep rotation and hub pushes for the published checkpoint
        args.output_dir, args.save_total_limit, args.push_to_hub = staging, None, False
        try:
            super()._save_checkpoint(model, trial)
        finally:
            args.output_dir, args.save_total_limit, args.push_to_hub = saved
        self.accelerator.wait_for_everyone()
        if args.should_save:
            final = os.path.join(run_dir, name)
            self._complete_staged(os.path.join(staging, name), staging, final, run_dir)
            if args.push_to_hub:
                self._push_from_checkpoint(final)
            rotate(run_dir, args.save_total_limit, self.state.best_model_checkpoint)
        self.accelerator.wait_for_everyone()

    def _complete_staged(self, written: str, staging: str, final: str, run_dir: str) -> None:
        args_file = os.path.join(run_dir, ARGS_FILE)
        if os.path.isfile(args_file):
            shutil.copy(args_file, os.path.join(written, ARGS_FILE))
        best = self.state.best_model_checkpoint
        if best and os.path.abspath(best).startswith(os.path.abspath(staging)):
            # the state saved inside points at the staging path: point it at the final one
            self.state.best_model_checkpoint = final
            self.state.save_to_json(os.path.join(written, TRAINER_STATE))
        publish(written, final)
        # files trainers write beside the checkpoints (trl's model card) belong to the run folder
        for entry in os.listdir(staging):
            path = os.path.join(staging, entry)
            if os.path.isfile(path):
                os.replace(path, os.path.join(run_dir, entry))
        shutil.rmtree(staging, ignore_errors=True)
