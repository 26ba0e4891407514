"""The ``--dataset`` syntax: ``id_or_path[:subset[/subset…]][#n]``.

Pure Python: parsing a spec imports nothing heavy.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from swift.kernel import UsageError

_COUNT = re.compile(r"^(?P<head>.*)#(?P<n>[^#]*)$")


@dataclass(frozen=True)
class DatasetSpec:
    """One entry of ``--dataset`` / ``--val_dataset``.

    Attributes:
        raw: The text as the user typed it.
        name: A local path (when ``is_path``), a registered dataset name or a hub id.
        subsets: Subsets asked for after ``:`` (several separated by ``/``).
        n: Sample count after ``#``: fewer rows than the data → a random sample,
            more → the data repeated. ``None`` keeps every row.
        is_path: Whether ``name`` exists on the local file system.
    """

    raw: str
    name: str
    subsets: tuple[str, ...] = ()
    n: int | None = None
    is_path: bool = False

    @property
    def label(self) -> str:
        """How messages name this dataset."""
        return self.name


def _exists(path: str) -> bool:
    return os.path.exists(os.path.expanduser(path))


def looks_like_path(name: str) -> bool:
    """Whether ``name`` was probably meant as a local path (so a hub lookup is pointless)."""
    # hub ids are ``org/name``: more slashes or a leading ./ ~ / mean a path
    if name.startswith(("/", "./", "../", "~")) or name.count("/") > 1:
        return True
    return os.path.splitext(name)[1].lower() in {".jsonl", ".json", ".csv", ".parquet", ".txt"}


def parse_dataset_spec(raw: str) -> DatasetSpec:
    """Split ``raw`` into name, subsets and sample count.

    A path that exists always wins, so ``data/v1:final.jsonl`` or ``a#1.jsonl`` are
    read as files when they are files.

    Example::

        parse_dataset_spec("AI-ModelScope/alpaca-gpt4-data-zh:default#500")
        # DatasetSpec(name='AI-ModelScope/alpaca-gpt4-data-zh', subsets=('default',), n=500)

    Raises:
        UsageError: For an empty spec or a ``#`` count that is not a positive integer.
    """
    text = raw.strip()
    if not text:
        raise UsageError("empty --dataset entry")
    if _exists(text):
        return DatasetSpec(raw=raw, name=os.path.expanduser(text), is_path=True)
    n = None
    match = _COUNT.match(text)
    if match:
        count = match.group("n").strip()
        if not count.isdigit() or int(count) <= 0:
            raise UsageError(
                f"--dataset {raw!r}: the sample count after '#' must be a positive integer, "
                f"got {count!r} (e.g. 'data.jsonl#1000')"
            )
        n, text = int(count), match.group("head")
    if _exists(text):
        return DatasetSpec(raw=raw, name=os.path.expanduser(text), n=n, is_path=True)
    subsets: tuple[str, ...] = ()
    if ":" in text:
        head, _, tail = text.rpartition(":")
        subsets = tuple(s.strip() for s in tail.split("/") if s.strip())
        text = head
        if _exists(text):
            raise UsageError(
                f"--dataset {raw!r}: subsets (':{tail}') apply to hub and named datasets, "
                f"not to the local path {text!r}"
            )
    if not text:
        raise UsageError(f"--dataset {raw!r}: no dataset name before ':'")
    return DatasetSpec(raw=raw, name=text, subsets=subsets, n=n)
