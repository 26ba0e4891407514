"""What a checkpoint folder lacks to be served or resumed from (pure Python).

``--resume_from_checkpoint``, ``--resume_only_model``, ``--adapters`` and ``--ckpt_dir``
on a folder copied half way (or killed while written by another tool) stop before any
work with the list of what is missing, instead of a traceback from the loader.
"""

from __future__ import annotations

import glob
import os

TRAINER_STATE = "trainer_state.json"
WEIGHT_PATTERNS = ("*.safetensors", "*.bin", "*.pt", "*.pth")


def _has_weights(folder: str, stem: str = "") -> bool:
    return any(glob.glob(os.path.join(folder, stem + pattern)) for pattern in WEIGHT_PATTERNS)


def checkpoint_missing(folder: str, *, resume: bool = False) -> list[str]:
    """What ``folder`` lacks to be loaded as model weights (``resume``: and to continue training).

    A folder holds an adapter (``adapter_config.json`` + ``adapter_model.*``), ReFT
    interventions (``reft/config.json`` + their weights) or full weights (``config.json``
    + weight files); resuming also needs ``trainer_state.json``.

    Returns:
        Human-readable names of the missing parts; empty when nothing is missing.
    """
    missing = []
    if os.path.isfile(os.path.join(folder, "adapter_config.json")):
        if not _has_weights(folder, "adapter_model"):
            missing.append("adapter weights (adapter_model.safetensors)")
    elif os.path.isfile(os.path.join(folder, "reft", "config.json")):
        if not _has_weights(os.path.join(folder, "reft"), "interventions"):
            missing.append("ReFT weights (reft/interventions.safetensors)")
    elif os.path.isfile(os.path.join(folder, "config.json")):
        if not _has_weights(folder, "model") and not _has_weights(folder, "pytorch_model"):
            missing.append("model weights (model*.safetensors)")
    else:
        missing.append("adapter_config.json or config.json (no weights of any kind)")
    if resume and not os.path.isfile(os.path.join(folder, TRAINER_STATE)):
        missing.append(TRAINER_STATE)
    return missing


def check_checkpoint(folder: str, flag: str, *, resume: bool = False) -> None:
    """Refuse a local checkpoint folder that lacks what loading (or resuming) needs.

    Raises:
        UsageError: Naming the folder, the flag and every missing part.
    """
    from swift.kernel import UsageError

    missing = checkpoint_missing(folder, resume=resume)
    if missing:
        hint = ""
        if resume and missing == [TRAINER_STATE]:
            hint = "; add --resume_only_model to start a new run from its weights"
        raise UsageError(f"{flag} {folder}: the checkpoint is incomplete, it lacks {', '.join(missing)}{hint}")


#: What a checkpoint holds besides weights and tokenizer for a multimodal model's processor.
PROCESSOR_FILES = (
    "preprocessor_config.json",
    "video_preprocessor_config.json",
    "processor_config.json",
    "chat_template.json",
)


def copy_processor_files(source: str | None, target: str) -> list[str]:
    """Copy the processor files of the checkpoint folder ``source`` into ``target``.

    So a trained or merged vision-language checkpoint loads again with ``AutoProcessor``
    (its image processor is not part of the tokenizer). Nothing happens for a text model.

    Returns:
        The names copied.
    """
    import shutil

    if not source or not os.path.isdir(source) or os.path.abspath(source) == os.path.abspath(target):
        return []
    copied = []
    for name in PROCESSOR_FILES:
        path = os.path.join(source, name)
        if os.path.isfile(path):
            shutil.copyfile(path, os.path.join(target, name))
            copied.append(name)
    return copied
