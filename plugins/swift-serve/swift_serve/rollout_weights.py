"""What ``POST /update_weights`` carries (``docs/rollout.md``), turned into engine calls.

Two forms reach the engine's weight contract (:mod:`swift.protocol.engine`):

* safetensors bytes, described by headers — ``X-Swift-Weights: full|lora``,
  ``X-Swift-Weights-Chunk: i/n`` (full only), ``X-Swift-Lora-Config`` (lora only);
* JSON ``{"path": folder, "kind": "full"|"lora"}`` naming a folder the server can read.

Full weights go to ``engine.load_weights``; a LoRA adapter goes to
``engine.load_adapter`` as a peft folder (the bytes are written out unchanged next
to their config), the one form every engine can load. These functions block: the
app runs them on a worker thread.
"""

from __future__ import annotations

import glob
import json
import os
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


def _read_tensors(data: bytes) -> dict[str, Any]:
    try:
        from safetensors.torch import load
    except ImportError as exc:  # the engine family brings torch; safetensors may be missing
        raise UsageError("swift rollout needs safetensors: pip install safetensors") from exc
    try:
        return load(data)
    except Exception as exc:  # safetensors raises its own error types for a bad header
        raise refused(f"the body is not a safetensors file ({exc}); send safetensors.torch.save(tensors)") from exc


def _engine_call(fn: Any, *args: Any, **kwargs: Any) -> int:
    try:
        return int(fn(*args, **kwargs))
    except (InvalidRequestError, UsageError) as exc:
        raise refused(str(exc)) from exc


def apply_bytes(engine: Any, kind: str, data: bytes, headers: Mapping[str, str]) -> int:
    """Apply a byte-form update; returns the number of tensors applied.

    Raises:
        RolloutError: 400 for a body or header the protocol does not allow.
    """
    if kind == "full":
        tensors = _read_tensors(data)
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
    with tempfile.TemporaryDirectory(prefix="swift-rollout-lora-") as folder:
        with open(os.path.join(folder, "adapter_model.safetensors"), "wb") as fh:
            fh.write(data)
        with open(os.path.join(folder, "adapter_config.json"), "w", encoding="utf-8") as fh:
            json.dump(config, fh)
        return _engine_call(engine.load_adapter, folder)


def apply_path(engine: Any, kind: str, path: str) -> int:
    """Apply a folder: every ``*.safetensors`` file (``full``) or a peft adapter (``lora``).

    Raises:
        RolloutError: 400 when the folder does not hold what ``kind`` needs.
    """
    if not os.path.isdir(path):
        raise refused(f"{path!r} is not a folder this server can read (it must be shared)")
    if kind == "lora":
        return _engine_call(engine.load_adapter, path)
    files = sorted(glob.glob(os.path.join(path, "*.safetensors")))
    if not files:
        raise refused(f"{path!r} holds no *.safetensors files")
    from safetensors.torch import load_file

    # one file at a time: a sharded checkpoint never has to fit in memory twice
    return sum(_engine_call(engine.load_weights, load_file(f).items()) for f in files)
