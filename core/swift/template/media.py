"""Media in conversations: ms-swift's ``<image>``/``<video>``/``<audio>`` tags and OpenAI content parts.

A multimodal row keeps its text with one tag where each medium goes and the media in
columns beside ``messages``, in order of appearance::

    {"messages": [{"role": "user", "content": "<image>What is in the picture?"}, …],
     "images": ["cat.png"]}

OpenAI-style content parts (``[{"type": "text", …}, {"type": "image_url", "image_url": {"url": …}}]``)
become that layout with :func:`flatten_parts`. A medium is kept as given (a path, a URL,
``data:`` URL, base64 text, ``{"bytes", "path"}`` as parquet stores images, or an image
object); decoding it is the vision plugin's work. Pure Python.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from swift.template.errors import TemplateError

KINDS = ("image", "video", "audio")
TAGS = {kind: f"<{kind}>" for kind in KINDS}
COLUMNS = {"image": "images", "video": "videos", "audio": "audios"}
_TAG_RE = re.compile("|".join(re.escape(t) for t in TAGS.values()))

# part type → (kind, key holding the medium)
_PART_TYPES = {
    "image_url": ("image", "image_url"),
    "image": ("image", "image"),
    "input_image": ("image", "image_url"),
    "video_url": ("video", "video_url"),
    "video": ("video", "video"),
    "audio_url": ("audio", "audio_url"),
    "audio": ("audio", "audio"),
    "input_audio": ("audio", "input_audio"),
}
_TEXT_TYPES = ("text", "input_text")


def _medium(part: Mapping[str, Any], kind: str, key: str, where: str) -> Any:
    value = part.get(key)
    if key == "input_audio" and isinstance(value, Mapping):  # OpenAI: {"data": base64, "format": "wav"}
        data, fmt = value.get("data"), value.get("format") or "wav"
        if not isinstance(data, str) or not data:
            raise TemplateError(f"{where}: an input_audio part needs base64 'data'")
        return f"data:audio/{fmt};base64,{data}"
    if isinstance(value, Mapping) and "url" in value:  # {"image_url": {"url": …, "detail": …}}
        value = value["url"]
    if value is None or value == "":
        raise TemplateError(f"{where}: the {part.get('type')} part has no {kind}")
    return value


def flatten_parts(content: Any, where: str = "message") -> tuple[str, dict[str, list[Any]]]:
    """Content parts → ``(text with tags, {"images": […], "videos": […], "audios": […]})``.

    A string comes back as it is with no media.

    Raises:
        TemplateError: For a part that is not an object, an unknown part type or a medium part without its medium.
    """
    media: dict[str, list[Any]] = {column: [] for column in COLUMNS.values()}
    if content is None or isinstance(content, str):
        return content or "", media
    if not isinstance(content, Sequence):
        raise TemplateError(f"{where}: content must be text or a list of parts, got {type(content).__name__}")
    text = []
    for j, part in enumerate(content):
        label = f"{where} part {j}"
        if isinstance(part, str):
            text.append(part)
            continue
        if not isinstance(part, Mapping):
            raise TemplateError(f"{label} must be an object with a 'type', got {type(part).__name__}")
        kind = part.get("type")
        if kind in _TEXT_TYPES:
            text.append(str(part.get("text") or ""))
        elif kind in _PART_TYPES:
            medium, key = _PART_TYPES[kind]
            media[COLUMNS[medium]].append(_medium(part, medium, key, label))
            text.append(TAGS[medium])
        else:
            known = ", ".join((*_TEXT_TYPES, *_PART_TYPES))
            raise TemplateError(f"{label} has type {kind!r}; known types: {known}")
    return "".join(text), media


def has_parts(messages: Any) -> bool:
    """Whether any message's content is a list of parts."""
    return isinstance(messages, Sequence) and any(
        isinstance(m, Mapping) and isinstance(m.get("content"), list) for m in messages
    )


def flatten_messages(messages: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    """Every message with content parts flattened; the media of all of them, in order."""
    media: dict[str, list[Any]] = {column: [] for column in COLUMNS.values()}
    out = []
    for i, message in enumerate(messages):
        if isinstance(message, Mapping) and isinstance(message.get("content"), list):
            text, found = flatten_parts(message["content"], f"message {i}")
            for column, items in found.items():
                media[column] += items
            message = {**message, "content": text}
        out.append(message)
    return out, media


def count_tags(texts: Sequence[str]) -> dict[str, int]:
    """How many ``<image>``/``<video>``/``<audio>`` tags ``texts`` hold, per kind."""
    counts = dict.fromkeys(KINDS, 0)
    for text in texts:
        for match in _TAG_RE.findall(text or ""):
            counts[match[1:-1]] += 1
    return counts


def split_tags(text: str) -> list[str]:
    """``text`` cut around its tags: ``"a<image>b"`` → ``["a", "<image>", "b"]`` (empty pieces dropped)."""
    return [piece for piece in re.split(f"({_TAG_RE.pattern})", text) if piece]


def row_media(row: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The media columns of ``row`` as lists (a single medium becomes a list of one)."""
    media = {}
    for column in COLUMNS.values():
        value = row.get(column)
        if value is None:
            value = []
        elif isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
            value = [value]
        media[column] = list(value)
    return media


def check_counts(texts: Sequence[str], media: Mapping[str, Sequence[Any]]) -> None:
    """Each tag has its medium and each medium its tag.

    Raises:
        TemplateError: ``2 <image> tags but 1 image``.
    """
    counts = count_tags(texts)
    for kind, column in COLUMNS.items():
        n = len(media.get(column) or ())
        if counts[kind] != n:
            raise TemplateError(
                f"{counts[kind]} {TAGS[kind]} tag{'s' if counts[kind] != 1 else ''} but {n} "
                f"{kind}{'s' if n != 1 else ''} in '{column}'"
            )


def is_inline(value: str) -> bool:
    """A medium given inline or remotely (``data:`` or a URL), not a file path."""
    return value.startswith(("data:", "http://", "https://", "file://"))


def resolve_paths(value: Any, base_dir: str) -> Any:
    """Relative file paths of a media column value made absolute against ``base_dir`` (the dataset's folder)."""
    if isinstance(value, str):
        if value and not is_inline(value) and not os.path.isabs(value) and _looks_like_path(value):
            return os.path.join(base_dir, value)
        return value
    if isinstance(value, Mapping):
        path = value.get("path")
        if isinstance(path, str) and not value.get("bytes"):
            return {**value, "path": resolve_paths(path, base_dir)}
        return dict(value)
    if isinstance(value, (list, tuple)):
        return [resolve_paths(v, base_dir) for v in value]
    return value


def _looks_like_path(value: str) -> bool:
    # base64 text is long and has no dot-suffix; a path has a suffix or a separator and is short
    return len(value) < 4096 and ("/" in value or os.sep in value or "." in os.path.basename(value))
