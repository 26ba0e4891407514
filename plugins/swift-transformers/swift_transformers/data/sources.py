"""One ``--dataset`` entry → a dataset of standardized rows.

Resolution order: an existing local path (file or folder), a dataset registered by a
plugin (by name, alias or ``hub_id``), a ``--custom_dataset_info`` entry, then a hub id
through ``datasets.load_dataset``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from swift.kernel import UsageError, load_object, registry
from swift.kernel.errors import closest
from swift.kernel.records import DatasetRecord
from swift_transformers.data.preprocess import (
    RowOptions,
    rows_to_dataset,
    standardize_rows,
    standardize_table,
)
from swift_transformers.data.spec import DatasetSpec, looks_like_path


def format_records() -> dict[str, DatasetRecord]:
    """Suffix (``.jsonl``) → format record; another plugin's format beats ours."""
    records = [r for r in registry("datasets").records() if getattr(r, "kind", "") == "format"]
    records.sort(key=lambda r: not r.load.startswith("swift_transformers."))
    return {suffix.lower(): r for r in records for suffix in r.suffixes}


def named_records() -> list[DatasetRecord]:
    """Every registered ``kind="dataset"`` record."""
    return [r for r in registry("datasets").records() if getattr(r, "kind", "") == "dataset"]


def find_named(name: str) -> DatasetRecord | None:
    """The dataset record called (or aliased, or with ``hub_id``) ``name``, if any."""
    reg = registry("datasets")
    if name in reg:
        record = reg.get(name)
        if record.kind == "dataset":
            return record
    return next((r for r in named_records() if r.hub_id and r.hub_id == name), None)


def standardize(result: Any, source: str, opts: RowOptions, reopen: Callable[[], Any]):
    """Standardize whatever a loader returned: a ``datasets`` table or an iterable of rows.

    Args:
        result: The loader's return value.
        source: Name used in messages.
        opts: Row options.
        reopen: Calls the loader again (streams of Python rows are re-read per pass).
    """
    import datasets

    if isinstance(result, (datasets.DatasetDict, datasets.IterableDatasetDict)):
        if "train" not in result:
            raise UsageError(f"{source}: no 'train' split (splits: {', '.join(result)})")
        result = result["train"]
    if isinstance(result, datasets.Dataset):
        return standardize_table(result.to_iterable_dataset() if opts.streaming else result, source, opts)
    if isinstance(result, datasets.IterableDataset):
        if not opts.streaming:
            result = rows_to_dataset(list(result), source)
        return standardize_table(result, source, opts)
    return standardize_rows(reopen if opts.streaming else lambda: result, source, opts)


def _supported(formats: dict[str, DatasetRecord]) -> str:
    return ", ".join(sorted(formats))


def load_file(path: Path, args: Any, opts: RowOptions, source: str | None = None):
    """Read one file with the format registered for its suffix and standardize it.

    Raises:
        UsageError: For a suffix no format record reads.
    """
    formats = format_records()
    record = formats.get(path.suffix.lower())
    if record is None:
        raise UsageError(
            f"{path}: unsupported file type {path.suffix or '(no suffix)'!r}; supported: "
            f"{_supported(formats)}. A plugin can add one with DatasetRecord(kind='format')."
        )
    loader = load_object(record.load, what=f"dataset format {record.name!r}")
    opts = dataclasses.replace(opts, base_dir=str(path.resolve().parent))
    reopen = functools.partial(loader, str(path), args)
    return standardize(reopen(), source or str(path), opts, reopen)


def folder_files(folder: Path) -> list[Path]:
    """Supported files under ``folder`` (recursively, hidden ones skipped), sorted."""
    formats = format_records()
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in formats
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def load_path(path: str, args: Any, opts: RowOptions) -> list:
    """Standardized datasets of a local file, or of every supported file in a folder."""
    target = Path(path)
    if target.is_file():
        return [load_file(target, args, opts, source=path)]
    files = folder_files(target)
    if not files:
        raise UsageError(f"{path}: folder holds no supported dataset file ({_supported(format_records())})")
    return [load_file(f, args, opts, source=str(Path(path) / f.relative_to(target))) for f in files]


def load_named(record: DatasetRecord, spec: DatasetSpec, args: Any, opts: RowOptions):
    """Call a named dataset's loader ``fn(spec, args)`` and standardize what it returns."""
    loader = load_object(record.load, what=f"dataset {record.name!r}")
    reopen = functools.partial(loader, spec, args)
    return standardize(reopen(), spec.name, opts, reopen)


def load_hub(spec: DatasetSpec, args: Any, opts: RowOptions) -> list:
    """Load a hub dataset (each subset) with ``datasets.load_dataset``.

    Raises:
        UsageError: Naming the id when the hub cannot provide it (offline, unknown id …).
    """
    import datasets

    parts = []
    for subset in spec.subsets or (None,):
        try:
            ds = datasets.load_dataset(
                spec.name,
                subset,
                split="train",
                streaming=opts.streaming,
                download_mode=getattr(args, "download_mode", None) or "reuse_dataset_if_exists",
            )
        except Exception as exc:  # the hub client raises many unrelated types
            raise UsageError(_not_found(spec.name, exc)) from exc
        label = f"{spec.name}:{subset}" if subset else spec.name
        parts.append(standardize(ds, label, opts, lambda d=ds: d))
    return parts


def _not_found(name: str, exc: Exception) -> str:
    names = [n for r in named_records() for n in r.names]
    guess = closest(name, names)
    hint = f" Did you mean {guess!r}?" if guess else ""
    return (
        f"cannot load dataset {name!r}: it is not a local file or folder, not a dataset a plugin "
        f"registered, and the hub could not provide it ({type(exc).__name__}: {exc}).{hint} "
        "Check the path, or run `swift plugins list` for named datasets."
    )


def load_spec(spec: DatasetSpec, args: Any, opts: RowOptions, custom: Sequence = ()) -> list:
    """Standardized datasets for one parsed spec (several for folders and subsets)."""
    if spec.is_path:
        return load_path(spec.name, args, opts)
    record = find_named(spec.name)
    if record is not None:
        return [load_named(record, spec, args, opts)]
    for entry in custom:
        if entry.matches(spec.name):
            return entry.load(spec, args, opts)
    if looks_like_path(spec.name):
        raise UsageError(f"dataset file or folder not found: {spec.name}")
    return load_hub(spec, args, opts)
