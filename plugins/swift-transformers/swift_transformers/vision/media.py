"""One medium of a row or request → a decoded image.

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


def _bytes_of(value: Any, *, allow_remote: bool, allow_files: bool) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, Mapping):
        if value.get("bytes"):
            return bytes(value["bytes"])
        if value.get("path"):
            return _bytes_of(value["path"], allow_remote=allow_remote, allow_files=allow_files)
        raise MediaError("an image given as an object needs 'bytes' or 'path'")
    if not isinstance(value, str) or not value:
        raise MediaError(f"an image must be a path, URL, base64 text or bytes, got {_describe(value)}")
    if value.startswith("data:"):
        header, _, data = value.partition(",")
        if ";base64" not in header:
            raise MediaError("a data: URL image must be base64 encoded (data:image/png;base64,...)")
        return _b64(data)
    if value.startswith(("http://", "https://")):
        if not allow_remote:
            raise MediaError(f"image URL {_describe(value)} not fetched: remote media are off (--allow_remote_media)")
        return _fetch(value)
    if value.startswith("file://"):
        if not allow_files:
            raise MediaError(f"image {_describe(value)} not read: file URLs are off (--allow_remote_media)")
        value = value[len("file://") :]
    elif not allow_files:
        raise MediaError("images must be data: URLs here (file paths are off; --allow_remote_media)")
    if os.path.isfile(value):
        if os.path.getsize(value) > MAX_IMAGE_BYTES:
            raise MediaError(f"image file {_describe(value)} is larger than {MAX_IMAGE_BYTES >> 20} MiB")
        with open(value, "rb") as fh:
            return fh.read()
    if len(value) > 256 and "." not in value[-6:]:
        return _b64(value)  # bare base64, as ms-swift accepts
    raise MediaError(f"image file not found: {_describe(value)}")


def _b64(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise MediaError(f"image base64 text does not decode: {exc}") from None


def _fetch(url: str) -> bytes:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
            data = response.read(MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        raise MediaError(f"cannot fetch image {_describe(url)}: {exc}") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise MediaError(f"image {_describe(url)} is larger than {MAX_IMAGE_BYTES >> 20} MiB")
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
    data = _bytes_of(value, allow_remote=allow_remote, allow_files=allow_files)
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError(f"image {_describe(value)} is not a readable image: {exc}") from None
    return image.convert("RGB")
