"""``encode_dataset``: standardized rows → ``input_ids``, ``labels``, ``length``.

Rows the template rejects (``TemplateError``: a bad row; ``MaxLengthError``: too long
with ``--truncation_strategy delete``) are dropped and counted, or raised with
``--strict``. ``--lazy_tokenize`` defers encoding to ``__getitem__``.
"""

from __future__ import annotations

import functools
import itertools
import random
from typing import Any

from torch.utils.data import Dataset as TorchDataset

from swift.kernel import UsageError
from swift_transformers.data.report import DropReport, logger

ERROR_COLUMN = "__swift_encode_error__"
_PROBE_ROWS = 32
_BASE_KEYS = ("input_ids", "labels", "length")


def _template_errors() -> tuple[type[Exception], ...]:
    from swift.template import MaxLengthError, TemplateError

    return (TemplateError, MaxLengthError)


def encode_row(template: Any, row: dict[str, Any]) -> dict[str, Any]:
    """``template.encode(row)`` plus ``length`` (the number of input ids)."""
    encoded = dict(template.encode(row))
    encoded["length"] = len(encoded["input_ids"])
    return encoded


def rejection_reason(exc: Exception, row: dict[str, Any]) -> str:
    """Why the template rejected ``row``, for a drop report.

    The template's reason plus the row's first words (row numbers shift after a split),
    e.g. ``"no assistant message (row starting 'What is 2+2?')"``.
    """
    messages = row.get("messages") or []
    text = next((m.get("content") or "" for m in messages if m.get("role") != "system"), "")
    text = " ".join(str(text).split())
    preview = text if len(text) <= 40 else text[:40] + "…"
    return f"{exc or type(exc).__name__} (row starting {preview!r})"


def _encode_batch(batch: dict[str, list], *, template: Any, keys: tuple[str, ...]) -> dict[str, list]:
    errors_types = _template_errors()
    names = list(batch)
    size = len(batch[names[0]]) if names else 0
    out: dict[str, list] = {key: [] for key in (*keys, ERROR_COLUMN)}
    for j in range(size):
        row = {k: batch[k][j] for k in names}
        try:
            encoded, error = encode_row(template, row), None
        except errors_types as exc:
            encoded, error = {}, rejection_reason(exc, row)
        for key in keys:
            out[key].append(encoded.get(key))
        out[ERROR_COLUMN].append(error)
    return out


def _probe(rows, template: Any) -> dict[str, Any] | None:
    """The encoding of the first of the first rows that the template accepts."""
    errors_types = _template_errors()
    for row in itertools.islice(iter(rows), _PROBE_ROWS):
        try:
            return encode_row(template, row)
        except errors_types:
            continue
    return None


def _features(dataset, template: Any):
    """Column types of the encoded rows, learned from a row that encodes."""
    from datasets import Dataset, Features, List, Value

    sample = _probe(dataset, template)
    if sample is not None:
        features = dict(Dataset.from_list([sample]).features)
    else:  # nothing encodes: the pass will fail with the rows' reasons
        features = {"input_ids": List(Value("int64")), "labels": List(Value("int64"))}
        features["length"] = Value("int64")
    return Features({**features, ERROR_COLUMN: Value("string")})


class _StreamingDrops:
    def __init__(self, name: str, strict: bool):
        self.report = DropReport(name, strict=strict, stage="encoding")

    def __call__(self, error: str | None, index: int) -> bool:
        if error is None:
            return True
        self.report.bad(index + 1, error)
        if self.report.dropped == 1:
            logger.warning("dropping rows the template rejects (streaming, so no total): %s", self.report.first)
        return False


def encode_dataset(dataset, template: Any, args: Any, *, name: str = "the dataset"):
    """Encode every row of ``dataset`` with ``template``.

    Args:
        dataset: Standardized rows (:func:`~swift_transformers.data.loading.load_datasets`).
        template: A ``swift.template.Template`` bound to the tokenizer.
        args: Arguments with ``lazy_tokenize``, ``strict``, ``dataset_num_proc``,
            ``load_from_cache_file``, ``data_seed``.
        name: How messages call the data (``the validation set``).

    Returns:
        A ``datasets.Dataset`` with the template's fields (``input_ids``, ``labels`` …)
        and ``length``; an ``IterableDataset`` for a stream; a
        :class:`LazyEncodedDataset` with ``lazy_tokenize``.

    Raises:
        UsageError: With ``strict`` on the first rejected row, or when every row is rejected.
    """
    from datasets import IterableDataset

    strict = bool(getattr(args, "strict", False))
    if getattr(args, "lazy_tokenize", False) and not isinstance(dataset, IterableDataset):
        return LazyEncodedDataset(dataset, template, strict=strict, seed=int(getattr(args, "data_seed", 42)), name=name)
    if isinstance(dataset, IterableDataset):
        encoded = dataset.map(functools.partial(_encode_stream, template=template))
        encoded = encoded.filter(_StreamingDrops(name, strict), input_columns=[ERROR_COLUMN], with_indices=True)
        # a stream may not declare its columns: keep what the template produces
        sample = _probe(dataset, template)
        return encoded.select_columns(list(sample) if sample else list(_BASE_KEYS))
    features = _features(dataset, template)
    keys = tuple(k for k in features if k != ERROR_COLUMN)
    num_proc = int(getattr(args, "dataset_num_proc", 1) or 1)
    encoded = dataset.map(
        functools.partial(_encode_batch, template=template, keys=keys),
        batched=True,
        remove_columns=dataset.column_names,
        features=features,
        num_proc=num_proc if num_proc > 1 and len(dataset) > 1 else None,
        load_from_cache_file=bool(getattr(args, "load_from_cache_file", False)),
        desc="Encoding",
    )
    errors = list(encoded[ERROR_COLUMN])
    report = _report_rejections(errors, name, strict)
    if report.dropped:
        encoded = encoded.select([i for i, error in enumerate(errors) if error is None])
    return encoded.remove_columns([ERROR_COLUMN])


def encoded_lengths(dataset, template: Any, *, strict: bool, name: str, num_proc: int = 1) -> list[int | None]:
    """The encoded length of every row (None where the template rejects it), nothing else kept.

    ``--packing --lazy_tokenize`` plans its rows from these: each row is encoded once here
    (images decoded, in ``num_proc`` processes) and its tensors dropped, then encoded again
    when its packed row is loaded. Rejections are reported as :func:`encode_dataset` does.

    Raises:
        UsageError: With ``strict`` on the first rejected row, or when every row is rejected.
    """
    from datasets import Features, Value

    features = Features({"length": Value("int64"), ERROR_COLUMN: Value("string")})
    measured = dataset.map(
        functools.partial(_encode_batch, template=template, keys=("length",)),
        batched=True,
        remove_columns=dataset.column_names,
        features=features,
        num_proc=num_proc if num_proc > 1 and len(dataset) > 1 else None,
        desc="Measuring",
    )
    errors = list(measured[ERROR_COLUMN])
    _report_rejections(errors, name, strict)
    return [None if error is not None else int(n) for n, error in zip(measured["length"], errors)]


def _report_rejections(errors: list[str | None], name: str, strict: bool) -> DropReport:
    """Count and log the rows a pass rejected (``errors[i]``: row i's reason or None); raise as the report says."""
    report = DropReport(name, strict=strict, stage="encoding", total=len(errors))
    for i, error in enumerate(errors):
        if error is not None:
            report.bad(i + 1, error)
    report.log()
    report.check_not_empty()
    return report


def _encode_stream(row: dict[str, Any], *, template: Any) -> dict[str, Any]:
    try:
        return {**encode_row(template, row), ERROR_COLUMN: None}
    except _template_errors() as exc:
        return {
            "input_ids": [],
            "labels": [],
            "length": 0,
            ERROR_COLUMN: rejection_reason(exc, row),
        }


class LazyEncodedDataset(TorchDataset):
    """Rows encoded on access (``--lazy_tokenize``); a rejected row is replaced by another.

    A map-style dataset (``__len__`` / ``__getitem__``) for torch's ``DataLoader``.
    The replacement index is drawn deterministically from ``seed`` and the index,
    so a run can be repeated. ``dropped`` counts rejections in this process.

    Args:
        dataset: Standardized rows.
        template: The template.
        strict: Raise on a rejected row instead.
        seed: Seed of the replacement draws.
        max_retries: Rejected rows in a row before giving up.
        name: How messages call the data.
    """

    def __init__(
        self,
        dataset,
        template: Any,
        *,
        strict: bool = False,
        seed: int = 42,
        max_retries: int = 10,
        name: str = "the dataset",
    ):
        self.dataset, self.template, self.name = dataset, template, name
        self.strict, self.seed, self.max_retries = strict, seed, max_retries
        self.dropped = 0

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict[str, Any]:
        errors = _template_errors()
        first = ""
        current = index
        for attempt in range(self.max_retries + 1):
            row = self.dataset[current]
            try:
                return encode_row(self.template, row)
            except errors as exc:
                reason = f"row {current + 1}: {rejection_reason(exc, row)}"
                if self.strict:
                    raise UsageError(f"{self.name} {reason} (encoding; --strict stops at the first bad row)") from exc
                self.dropped += 1
                first = first or reason
                if self.dropped == 1:
                    logger.warning("lazy_tokenize: %s; another row is used instead", reason)
                current = random.Random(f"{self.seed}:{index}:{attempt}").randrange(len(self))
        raise UsageError(
            f"lazy_tokenize: {self.max_retries + 1} rows of {self.name} in a row were rejected, "
            f"first {first}; check --max_length / --truncation_strategy and the data"
        )
