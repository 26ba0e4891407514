"""One medium of a row or request → its bytes, and an image decoded (videos: :mod:`.video`).

Accepted: a file path (relative paths were made absolute against the dataset's folder when it
was read), ``file://`` URLs, ``data:`` URLs, bare base64 text, raw bytes, ``{"bytes", "path"}``
(how parquet and ``datasets.Image`` store images), a PIL image, and ``http(s)`` URLs where the
caller allows fetching (training data; a server only with ``--allow_remote_media``).
"""

from __future__ import annotations

import base64
import binascii
import io
import os
from collections.abc import Mapping
from typing import Any

from swift.template import TemplateError

#: Seconds to wait for an image URL.
FETCH_TIMEOUT = 20
#: Largest image file read (bytes): a decompression bomb or a mistaken video stops here.
MAX_IMAGE_BYTES = 64 * 1024 * 1024


class MediaError(TemplateError):
    """A medium that cannot be read: the row is bad (dropped and counted), the request invalid."""


def _describe(value: Any) -> str:
    text = value if isinstance(value, str) else type(value).__name__
    return repr(text if len(text) <= 60 else text[:57] + "...")


def media_bytes(
    value: Any, *, allow_remote: bool, allow_files: bool, limit: int = MAX_IMAGE_BYTES, kind: str = "image"
) -> bytes:
    """The bytes of one medium given in any accepted form (see the module docstring).

    Args:
        value: The medium (see the module docstring).
        allow_remote: Fetch ``http(s)`` URLs.
        allow_files: Read local paths and ``file://`` URLs.
        limit: Largest file or download read, in bytes.
        kind: What the medium is, for the messages (``image``, ``video``).

    Raises:
        MediaError: With what cannot be read and why.
    """
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, Mapping):
        if value.get("bytes"):
            return bytes(value["bytes"])
        if value.get("path"):
            return media_bytes(
                value["path"], allow_remote=allow_remote, allow_files=allow_files, limit=limit, kind=kind
            )
        raise MediaError(f"an {kind} given as an object needs 'bytes' or 'path'")
    if not isinstance(value, str) or not value:
        raise MediaError(f"an {kind} must be a path, URL, base64 text or bytes, got {_describe(value)}")
    if value.startswith("data:"):
        header, _, data = value.partition(",")
        if ";base64" not in header:
            raise MediaError(f"a data: URL {kind} must be base64 encoded (data:{kind}/...;base64,...)")
        return _b64(data, kind)
    if value.startswith(("http://", "https://")):
        if not allow_remote:
            raise MediaError(f"{kind} URL {_describe(value)} not fetched: remote media are off (--allow_remote_media)")
        return _fetch(value, limit, kind)
    if value.startswith("file://"):
        if not allow_files:
            raise MediaError(f"{kind} {_describe(value)} not read: file URLs are off (--allow_remote_media)")
        value = value[len("file://") :]
    elif not allow_files:
        raise MediaError(f"{kind}s must be data: URLs here (file paths are off; --allow_remote_media)")
    if os.path.isfile(value):
        if os.path.getsize(value) > limit:
            raise MediaError(f"{kind} file {_describe(value)} is larger than {limit >> 20} MiB")
        with open(value, "rb") as fh:
            return fh.read()
    if len(value) > 256 and "." not in value[-6:]:
        return _b64(value, kind)  # bare base64, as ms-swift accepts
    raise MediaError(f"{kind} file not found: {_describe(value)}")


def _b64(data: str, kind: str) -> bytes:
    try:
        return base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise MediaError(f"{kind} base64 text does not decode: {exc}") from None


def _fetch(url: str, limit: int, kind: str) -> bytes:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
            data = response.read(limit + 1)
    except OSError as exc:
        raise MediaError(f"cannot fetch {kind} {_describe(url)}: {exc}") from None
    if len(data) > limit:
        raise MediaError(f"{kind} {_describe(url)} is larger than {limit >> 20} MiB")
    return data


def load_image(value: Any, *, allow_remote: bool = True, allow_files: bool = True):
    """``value`` decoded as an RGB ``PIL.Image``.

    Args:
        value: See the module docstring.
        allow_remote: Fetch ``http(s)`` URLs.
        allow_files: Read local paths and ``file://`` URLs.

    Raises:
        MediaError: With what cannot be read and why.
    """
    from PIL import Image, UnidentifiedImageError

    if isinstance(value, Image.Image):
        return value.convert("RGB")
    data = media_bytes(value, allow_remote=allow_remote, allow_files=allow_files)
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError(f"image {_describe(value)} is not a readable image: {exc}") from None
    return image.convert("RGB")
