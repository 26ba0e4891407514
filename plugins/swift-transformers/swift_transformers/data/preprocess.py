"""Raw rows of one source → a dataset of standardized ``messages`` rows.

Two paths share :func:`~swift_transformers.data.standardize.to_messages`:
Python iterables (our JSON/text readers: one malformed record costs one row) and
``datasets`` tables (csv, parquet, hub, named datasets: ``map`` with
``--dataset_num_proc``). Either way bad rows are dropped and counted, or raised
with ``--strict``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from swift.contracts import InvalidRow
from swift.kernel import UsageError
from swift_transformers.data.report import DropReport, logger
from swift_transformers.data.standardize import (
    SOURCE_COLUMNS,
    RowError,
    extra_columns,
    lift_media_parts,
    media_paths,
    rename_columns,
    to_messages,
    tools_column,
)

ERROR_COLUMN = "__swift_row_error__"
MEDIA_COLUMNS = ("images", "videos", "audios")


@dataclass(frozen=True)
class RowOptions:
    """How rows of every source are standardized (from the data arguments).

    Attributes:
        columns: ``--columns`` renames (old → new), applied before layout detection.
        require_response: Demand a final assistant turn.
        strict: Raise on the first bad row.
        num_proc: ``--dataset_num_proc`` for ``map``.
        load_from_cache_file: ``--load_from_cache_file`` for ``map``.
        streaming: Produce ``IterableDataset`` objects.
        base_dir: The folder of the dataset file: relative media paths (``images``) are made
            absolute against it.
    """

    columns: Mapping[str, str] = field(default_factory=dict)
    require_response: bool = True
    strict: bool = False
    num_proc: int = 1
    load_from_cache_file: bool = False
    streaming: bool = False
    base_dir: str | None = None


def messages_feature():
    """The ``datasets`` type of the ``messages`` column."""
    from datasets import List, Value

    # tool_calls: JSON text of an assistant message's calls (None elsewhere)
    return List({"role": Value("string"), "content": Value("string"), "tool_calls": Value("string")})


def _standard_row(raw: Any, opts: RowOptions) -> dict[str, Any]:
    if isinstance(raw, InvalidRow):
        raise RowError(raw.reason)
    if not isinstance(raw, Mapping):
        raise RowError(f"a row must be an object, got {type(raw).__name__}")
    row = lift_media_parts(rename_columns(raw, opts.columns))
    messages = to_messages(row, require_response=opts.require_response)
    return {"messages": messages, **media_paths(extra_columns(row), opts.base_dir)}


def _iter_rows(open_rows: Callable[[], Iterable[Any]], source: str, opts: RowOptions):
    report = DropReport(source, strict=opts.strict)
    for i, raw in enumerate(open_rows(), 1):
        report.total += 1
        try:
            yield _standard_row(raw, opts)
        except RowError as exc:
            report.bad(i, exc.reason)
    report.log()
    if not opts.streaming:
        report.check_not_empty()


def rows_to_dataset(rows: list[dict[str, Any]], source: str):
    """A ``datasets.Dataset`` of ``rows``; keys missing in some rows become None."""
    import pyarrow as pa
    from datasets import Dataset, Features, Json

    # from_list takes its columns from the first row; extras may appear later
    columns = list(dict.fromkeys(k for row in rows for k in row))
    rows = [{c: row.get(c) for c in columns} for row in rows]
    try:
        return _typed_messages(Dataset.from_list(rows))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    # an extra column holds different types in different rows: store it as JSON
    features = {}
    for column in columns:
        values = [row.get(column) for row in rows]
        try:
            features[column] = Dataset.from_dict({column: values}).features[column]
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            logger.info("%s: column %r mixes value types; it is kept as JSON", source, column)
            features[column] = Json()
    return _typed_messages(Dataset.from_list(rows, features=Features(features)))


def _typed_messages(ds):
    """``ds`` with ``messages`` of :func:`messages_feature` (an all-None ``tool_calls`` is inferred as null)."""
    if "messages" in ds.column_names and ds.features["messages"] != messages_feature():
        ds = ds.cast_column("messages", messages_feature())
    return ds


def standardize_rows(open_rows: Callable[[], Iterable[Any]], source: str, opts: RowOptions):
    """Standardize rows read in Python.

    Args:
        open_rows: Returns a fresh iterable of raw rows each call (streaming re-reads).
        source: Name used in messages.
        opts: Row options.

    Returns:
        A ``datasets.Dataset`` (or ``IterableDataset`` when streaming).
    """
    if opts.streaming:
        from datasets import IterableDataset

        return IterableDataset.from_generator(
            _iter_rows, gen_kwargs={"open_rows": open_rows, "source": source, "opts": opts}
        )
    return rows_to_dataset(list(_iter_rows(open_rows, source, opts)), source)


def _column_names(ds) -> list[str]:
    if ds.column_names is not None:
        return list(ds.column_names)
    # a stream without declared features: learn them from its first row
    return list(next(iter(ds.take(1)), {}))


def _rename_table(ds, columns: Mapping[str, str]):
    """Apply ``--columns`` to a table, with the semantics of ``rename_columns``."""
    names = _column_names(ds)
    present = {old: new for old, new in columns.items() if old in names}
    replaced = [new for new in present.values() if new in names and new not in present]
    if replaced:
        ds = ds.remove_columns(replaced)
    return ds.rename_columns(present) if present else ds


def _standardize_batch(
    batch: dict[str, list], *, require_response: bool, base_dir: str | None = None
) -> dict[str, list]:
    keys = list(batch)
    size = len(batch[keys[0]]) if keys else 0
    messages, errors, tools = [], [], []
    media = {column: [] for column in MEDIA_COLUMNS if column in keys}
    for j in range(size):
        row = {k: batch[k][j] for k in keys}
        try:
            messages.append(to_messages(row, require_response=require_response))
            tools.append(tools_column(row.get("tools")))
            errors.append(None)
        except RowError as exc:
            messages.append([])
            tools.append(None)
            errors.append(exc.reason)
        resolved = media_paths({c: row[c] for c in media}, base_dir)
        for column, values in media.items():
            values.append(resolved[column])
    out = {"messages": messages, ERROR_COLUMN: errors}
    if "tools" in keys:
        out["tools"] = tools
    if base_dir:  # relative image paths of a parquet/csv file point next to it
        out.update(media)
    return out


class _StreamingDrops:
    """Drops bad rows of a stream as they pass; the total is unknown, so warn once."""

    def __init__(self, source: str, strict: bool):
        self.report = DropReport(source, strict=strict)

    def __call__(self, error: str | None, index: int) -> bool:
        self.report.total += 1
        if error is None:
            return True
        self.report.bad(index + 1, error)
        if self.report.dropped == 1:
            logger.warning(
                "dropping bad rows of %s (streaming, so no total): %s",
                self.report.source,
                self.report.first,
            )
        return False


def standardize_table(ds, source: str, opts: RowOptions):
    """Standardize a ``datasets.Dataset`` / ``IterableDataset`` of raw rows.

    Raises:
        UsageError: When no column swift reads is present, with ``--strict`` on a bad
            row, or when every row is bad.
    """
    from datasets import Dataset, Features, Value

    ds = _rename_table(ds, opts.columns)
    names = _column_names(ds)
    consumed = [c for c in SOURCE_COLUMNS if c in names]
    if names and not consumed:
        raise UsageError(
            f"{source}: no column swift can read (columns: {', '.join(names)}). Expected "
            "messages, conversations, instruction/output, query/response or text; map yours "
            'with --columns \'{"your_column": "query"}\''
        )
    fn = functools.partial(_standardize_batch, require_response=opts.require_response, base_dir=opts.base_dir)
    if not isinstance(ds, Dataset):
        ds = ds.map(fn, batched=True, remove_columns=consumed or None)
        ds = ds.filter(_StreamingDrops(source, opts.strict), input_columns=[ERROR_COLUMN], with_indices=True)
        return ds.remove_columns([ERROR_COLUMN])
    kept = {k: v for k, v in ds.features.items() if k not in consumed}
    if "tools" in kept:
        kept["tools"] = Value("string")  # its JSON text (see standardize's docstring)
    features = Features({**kept, "messages": messages_feature(), ERROR_COLUMN: Value("string")})
    ds = ds.map(
        fn,
        batched=True,
        remove_columns=consumed,
        features=features,
        num_proc=opts.num_proc if opts.num_proc > 1 and len(ds) > 1 else None,
        load_from_cache_file=opts.load_from_cache_file,
        desc=f"Preprocessing {source}",
    )
    errors = list(ds[ERROR_COLUMN])
    report = DropReport(source, strict=opts.strict, total=len(errors))
    for i, error in enumerate(errors):
        if error is not None:
            report.bad(i + 1, error)
    report.log()
    report.check_not_empty()
    if report.dropped:
        ds = ds.select([i for i, error in enumerate(errors) if error is None])
    return ds.remove_columns([ERROR_COLUMN])
