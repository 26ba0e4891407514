"""What ``POST /update_weights`` carries (``docs/rollout.md``), turned into engine calls.

Two forms reach the engine's weight contract (:mod:`swift.protocol.engine`):

* safetensors bytes, described by headers — ``X-Swift-Weights: full|lora``,
  ``X-Swift-Weights-Chunk: i/n`` (full only), ``X-Swift-Lora-Config`` (lora only);
* JSON ``{"path": folder, "kind": "full"|"lora"}`` naming a folder under one of the
  operator's ``--weight_dirs`` (:class:`WeightDirs`; none given = path pushes refused).

The bytes arrive spooled to a file by the app (bounded by ``--max_weights_bytes``).

Full weights go to ``engine.load_weights``; a LoRA adapter goes to
``engine.load_adapter`` as a peft folder (the bytes are written out unchanged next
to their config), the one form every engine can load. These functions block: the
app runs them on a worker thread.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from typing import Any

from swift.kernel import UsageError
from swift.protocol import InvalidRequestError
from swift_serve.errors import APIError

WEIGHTS_HEADER = "X-Swift-Weights"
CHUNK_HEADER = "X-Swift-Weights-Chunk"
LORA_CONFIG_HEADER = "X-Swift-Lora-Config"


class RolloutError(APIError):
    """An error of the rollout routes, in the protocol's flat shape ``{"error": "..."}``."""

    def body(self) -> dict[str, Any]:
        """``{"error": message}``: the trainer shows the text as it is."""
        return {"error": self.message}


def refused(message: str, status: int = 400) -> RolloutError:
    """A client error of the rollout protocol."""
    return RolloutError(status, message)


def check_kind(kind: str, formats: list[str]) -> str:
    """``kind`` if the engine accepts it.

    Raises:
        RolloutError: 400 naming the accepted formats.
    """
    if kind not in formats:
        raise refused(
            f"weight format {kind!r} is not accepted here; this server takes "
            f"{', '.join(formats)} ({WEIGHTS_HEADER} header or the JSON 'kind')"
        )
    return kind


def parse_chunk(value: str | None) -> tuple[int, int] | None:
    """``"2/4"`` → ``(2, 4)``; None without the header.

    Raises:
        RolloutError: 400 for anything but ``i/n`` with ``1 <= i <= n``.
    """
    if value is None:
        return None
    part, _, total = value.partition("/")
    try:
        i, n = int(part), int(total)
    except ValueError:
        i = n = 0
    if not 1 <= i <= n:
        raise refused(f"{CHUNK_HEADER} must look like 2/4 (part/parts), got {value!r}")
    return i, n


def _read_tensors(path: str) -> dict[str, Any]:
    try:
        from safetensors.torch import load_file
    except ImportError as exc:  # the engine family brings torch; safetensors may be missing
        raise UsageError("swift rollout needs safetensors: pip install safetensors") from exc
    try:
        return load_file(path)
    except Exception as exc:  # safetensors raises its own error types for a bad header
        raise refused(f"the body is not a safetensors file ({exc}); send safetensors.torch.save(tensors)") from exc


def _check_header(path: str) -> None:
    from safetensors import safe_open

    try:
        with safe_open(path, framework="pt"):
            pass
    except Exception as exc:  # safetensors raises its own error types for a bad header
        raise refused(f"the body is not a safetensors file ({exc}); send safetensors.torch.save(tensors)") from exc


class WeightDirs:
    """The folders JSON pushes may name (``--weight_dirs``), and the check that confines them.

    A refused path gets the same answer whether or not it exists, so the
    server never tells a client which folders it has.
    """

    def __init__(self, folders: list[str]):
        self.roots = [os.path.realpath(os.path.expanduser(f)) for f in folders]

    def resolve(self, path: str) -> str:
        """The real folder ``path`` names, if it lies under an allowed folder.

        Raises:
            RolloutError: 403 when path pushes are off or ``path`` is elsewhere; 400
                when it is allowed but is not a folder.
        """
        if not self.roots:
            raise refused(
                "path pushes are off on this server; start swift rollout with --weight_dirs <folder> "
                "to allow folders under it, or push the weights as safetensors bytes",
                403,
            )
        # realpath: "..", symlinks out of an allowed folder and "//" tricks all land outside
        real = os.path.realpath(os.path.expanduser(path))
        if not any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots):
            raise refused("the path is not under a folder this server allows (--weight_dirs)", 403)
        if not os.path.isdir(real):
            raise refused("the path is not a folder under --weight_dirs")
        return real


def _engine_call(fn: Any, *args: Any, **kwargs: Any) -> int:
    try:
        return int(fn(*args, **kwargs))
    except (InvalidRequestError, UsageError) as exc:
        raise refused(str(exc)) from exc


def apply_file(engine: Any, kind: str, path: str, headers: Mapping[str, str]) -> int:
    """Apply a byte-form update spooled to ``path``; returns the number of tensors applied.

    Raises:
        RolloutError: 400 for a body or header the protocol does not allow.
    """
    if kind == "full":
        tensors = _read_tensors(path)
        return _engine_call(engine.load_weights, tensors.items())
    raw_config = headers.get(LORA_CONFIG_HEADER)
    if not raw_config:
        raise refused(f"a lora update needs its adapter_config.json in {LORA_CONFIG_HEADER}")
    try:
        config = json.loads(raw_config)
    except ValueError as exc:
        raise refused(f"{LORA_CONFIG_HEADER} is not JSON: {exc}") from exc
    if not isinstance(config, dict):
        raise refused(f"{LORA_CONFIG_HEADER} must be a JSON object (adapter_config.json)")
    _check_header(path)  # refuse a body that is not safetensors before the engine sees it
    with tempfile.TemporaryDirectory(prefix="swift-rollout-lora-") as folder:
        shutil.copyfile(path, os.path.join(folder, "adapter_model.safetensors"))
        with open(os.path.join(folder, "adapter_config.json"), "w", encoding="utf-8") as fh:
            json.dump(config, fh)
        return _engine_call(engine.load_adapter, folder)


def apply_path(engine: Any, kind: str, path: str) -> int:
    """Apply a folder: every ``*.safetensors`` file (``full``) or a peft adapter (``lora``).

    Args:
        engine: The engine to load into.
        kind: ``full`` or ``lora``.
        path: A folder :meth:`WeightDirs.resolve` allowed.

    Raises:
        RolloutError: 400 when the folder does not hold what ``kind`` needs.
    """
    if kind == "lora":
        return _engine_call(engine.load_adapter, path)
    files = sorted(glob.glob(os.path.join(path, "*.safetensors")))
    if not files:
        raise refused("the folder holds no *.safetensors files")
    from safetensors.torch import load_file

    # one file at a time: a sharded checkpoint never has to fit in memory twice
    return sum(_engine_call(engine.load_weights, load_file(f).items()) for f in files)
