"""Cheap checks of a checkpoint folder before transformers reads it.

A missing or truncated weight file otherwise surfaces as a deep traceback from
the loading code; here it becomes one sentence that names the folder and the file.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

from swift.kernel import UsageError

_INDEX_FILES = ("model.safetensors.index.json", "pytorch_model.bin.index.json")
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf")
# Trainer state that lives next to the weights in a checkpoint-N folder but is not weights.
_NOT_WEIGHTS = ("training_args", "optimizer", "scheduler", "rng_state", "adapter_model")


class ModelFilesError(UsageError):
    """A checkpoint folder lacks files or holds damaged ones."""


def weight_files(model_dir: str | os.PathLike) -> list[Path]:
    """Weight files directly in ``model_dir`` (shards, single files, ``.gguf``)."""
    root = Path(model_dir)
    return sorted(
        p
        for p in root.iterdir()
        if p.is_file() and p.suffix in _WEIGHT_SUFFIXES and not p.name.startswith(_NOT_WEIGHTS)
    )


def _safetensors_problem(path: Path) -> str | None:
    """Why the safetensors file is unreadable, or None; reads only its header."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            raw = fh.read(8)
            if len(raw) < 8:
                return "shorter than a safetensors header"
            (header_len,) = struct.unpack("<Q", raw)
            if header_len > size - 8:
                return "truncated (header larger than the file)"
            header = json.loads(fh.read(header_len))
    except (OSError, ValueError) as exc:
        return f"unreadable safetensors header ({exc})"
    ends = [t["data_offsets"][1] for k, t in header.items() if k != "__metadata__" and "data_offsets" in t]
    if ends and 8 + header_len + max(ends) > size:
        return f"truncated ({size} bytes, the header describes {8 + header_len + max(ends)})"
    return None


def check_model_files(model_dir: str | os.PathLike, *, verify: bool = True) -> None:
    """Raise a readable error when ``model_dir`` cannot be a loadable checkpoint.

    Always checks that ``config.json`` and at least one weight file exist and that
    every shard a ``*.index.json`` names is present. With ``verify`` (``--check_model``)
    each safetensors file's header is read to catch truncated downloads.

    Raises:
        ModelFilesError: Naming the folder and what is missing or damaged.
    """
    root = Path(model_dir)
    if not (root / "config.json").is_file():
        raise ModelFilesError(
            f"model directory {str(root)!r} has no config.json, so it is not a transformers "
            "checkpoint. Pass the folder that holds config.json and the weights, or a "
            "--model_type whose loader reads this format."
        )
    for index_name in _INDEX_FILES:
        index = root / index_name
        if not index.is_file():
            continue
        try:
            shards = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
        except (OSError, ValueError, KeyError, AttributeError) as exc:
            raise ModelFilesError(f"model directory {str(root)!r}: {index_name} is unreadable ({exc}).") from None
        missing = [s for s in shards if not (root / s).is_file()]
        if missing:
            raise ModelFilesError(
                f"model directory {str(root)!r} is incomplete: {index_name} lists "
                f"{len(shards)} weight files and {len(missing)} are missing "
                f"({', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}). "
                "Download the model again."
            )
    files = weight_files(root)
    if not files:
        raise ModelFilesError(
            f"model directory {str(root)!r} has config.json but no weight files "
            "(*.safetensors, *.bin). The download may have been interrupted; download it again."
        )
    if verify:
        for path in files:
            if path.suffix == ".safetensors" and (problem := _safetensors_problem(path)):
                raise ModelFilesError(
                    f"model directory {str(root)!r}: weight file {path.name} is damaged: "
                    f"{problem}. Download the model again "
                    "(or pass --check_model false to skip this check)."
                )
