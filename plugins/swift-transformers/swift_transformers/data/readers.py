"""File formats: the ``load`` functions of the ``kind="format"`` dataset records.

A format loader is ``fn(path, args)`` and returns either

* an iterable of raw row dicts (read here in Python, so one malformed row costs only
  that row; yield :class:`InvalidRow` for a record that cannot be read at all), or
* a ``datasets.Dataset`` / ``IterableDataset`` (typed columnar formats).

Rows are raw: any supported layout, standardized afterwards by
:mod:`swift_transformers.data.preprocess`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from swift.contracts import InvalidRow
from swift.kernel import UsageError

# a line longer than this is a bad row (--max_line_bytes); real samples are far shorter
DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024
_SKIP_CHUNK = 1024 * 1024


def read_lines(path: str, max_bytes: int = DEFAULT_MAX_LINE_BYTES) -> Iterator[str | InvalidRow]:
    """The lines of a text file, streamed with a bound on each line's size.

    A line that is not UTF-8 or longer than ``max_bytes`` is an :class:`InvalidRow` (counted
    and dropped like any bad row, or raised with ``--strict``); an over-long line is read past
    in chunks, so memory stays flat whatever the file holds.
    """
    with open(path, "rb") as f:
        first = True
        while True:
            raw = f.readline(max_bytes + 1)
            if not raw:
                return
            if len(raw) > max_bytes and not raw.endswith(b"\n"):
                while raw and not raw.endswith(b"\n"):
                    raw = f.readline(_SKIP_CHUNK)
                yield InvalidRow(f"line longer than {max_bytes} bytes (--max_line_bytes)")
                continue
            if first and raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark
                raw = raw[3:]
            first = False
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield InvalidRow(f"invalid UTF-8 (byte {exc.start} of the line)")


def _max_line_bytes(args: Any) -> int:
    return int(getattr(args, "max_line_bytes", None) or DEFAULT_MAX_LINE_BYTES)


def _json_lines(lines: Iterable[str | InvalidRow]) -> Iterator[dict[str, Any] | InvalidRow]:
    for line in lines:
        if isinstance(line, InvalidRow):
            yield line
            continue
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as exc:
            yield InvalidRow(f"invalid JSON ({exc.msg} at column {exc.colno})")


def read_jsonl(path: str, args: Any = None) -> Iterator[dict[str, Any] | InvalidRow]:
    """Rows of a JSON Lines file: one JSON object per non-blank line."""
    yield from _json_lines(read_lines(path, _max_line_bytes(args)))


def read_json(path: str, args: Any = None) -> Iterator[dict[str, Any] | InvalidRow]:
    """Rows of a ``.json`` file: a list of objects, ``{"data": [...]}``, or JSON Lines.

    Raises:
        UsageError: When the top level is neither a list nor an object.
    """
    text = Path(path).read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        # Hugging Face writes ".json" files that hold one object per line
        yield from _json_lines(text.splitlines())
        return
    if isinstance(data, dict):
        data = data["data"] if isinstance(data.get("data"), list) else [data]
    if not isinstance(data, list):
        raise UsageError(f'{path}: expected a list of objects (or {{"data": [...]}}), got {type(data).__name__}')
    yield from data


def read_txt(path: str, args: Any = None) -> Iterator[dict[str, str] | InvalidRow]:
    """One ``{"text": line}`` row per non-blank line (pretraining text)."""
    for line in read_lines(path, _max_line_bytes(args)):
        if isinstance(line, InvalidRow):
            yield line
        elif line.strip():
            yield {"text": line.rstrip("\r\n")}


def _builder(builder: str, path: str, args: Any, **options: Any):
    import datasets

    try:
        return datasets.load_dataset(
            builder,
            data_files=str(path),
            split="train",
            streaming=bool(getattr(args, "streaming", False)),
            download_mode=getattr(args, "download_mode", None) or "reuse_dataset_if_exists",
            **options,
        )
    except Exception as exc:  # pandas/arrow parse errors have no common base
        raise UsageError(f"cannot read {path} as {builder}: {type(exc).__name__}: {exc}") from exc


def _text_columns(header: list[str], args: Any) -> list[str]:
    from swift_transformers.data.standardize import SOURCE_COLUMNS

    mapped = getattr(args, "columns", None) or {}
    if isinstance(mapped, str):
        mapped = json.loads(mapped)
    return [c for c in header if c in SOURCE_COLUMNS or c in mapped]


def read_csv(path: str, args: Any = None):
    """A CSV file (header row = column names) as a ``datasets.Dataset``.

    Conversation columns are read as the text they are (an answer ``4`` stays ``"4"``,
    not an integer); other columns get inferred types and empty cells become None.
    """
    with open(path, newline="", encoding="utf-8-sig") as f:
        header = next(csv.reader(f), [])
    converters = {c: str for c in _text_columns(header, args)}
    return _builder("csv", path, args, converters=converters or None)


def read_parquet(path: str, args: Any = None):
    """A Parquet file as a ``datasets.Dataset``."""
    return _builder("parquet", path, args)
