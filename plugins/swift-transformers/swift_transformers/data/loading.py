"""``load_datasets(args)``: every ``--dataset`` / ``--val_dataset`` entry, standardized.

Each entry is resolved (:mod:`~swift_transformers.data.sources`), standardized to
``messages`` rows, sampled to its ``#n``, and the entries are concatenated. Without
``--val_dataset`` the training data is split by ``--split_dataset_ratio``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from typing import Any

from swift.kernel import UsageError
from swift_transformers.data.preprocess import RowOptions
from swift_transformers.data.report import logger
from swift_transformers.data.sources import load_spec
from swift_transformers.data.spec import parse_dataset_spec


def _columns(args: Any) -> dict[str, str]:
    columns = getattr(args, "columns", None) or {}
    if isinstance(columns, str):
        try:
            columns = json.loads(columns)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--columns must be a JSON object, got {columns!r}") from exc
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise UsageError(f"--columns must map column names to column names, got {columns!r}")
    return dict(columns)


def row_options(args: Any, *, require_response: bool | None = None) -> RowOptions:
    """The :class:`RowOptions` of ``args``.

    Args:
        args: The command's arguments (``TrainArguments`` or any object with the
            data attributes).
        require_response: Demand a final assistant turn; by default yes, except for
            GRPO whose rows are prompts.
    """
    if require_response is None:
        # GRPO samples the reply; a classifier reads the conversation and a label column
        require_response = getattr(args, "rlhf_type", None) != "grpo" and getattr(args, "task_type", None) != "seq_cls"
    return RowOptions(
        columns=_columns(args),
        require_response=require_response,
        strict=bool(getattr(args, "strict", False)),
        num_proc=int(getattr(args, "dataset_num_proc", 1) or 1),
        load_from_cache_file=bool(getattr(args, "load_from_cache_file", False)),
        streaming=bool(getattr(args, "streaming", False)),
    )


def sample_dataset(dataset, n: int, seed: int):
    """``n`` rows of ``dataset``: a random subset, or whole copies plus a random remainder.

    Deterministic for a given ``seed``. A stream takes its first ``n`` rows.
    """
    from datasets import IterableDataset

    if isinstance(dataset, IterableDataset):
        return dataset.take(n)
    total = len(dataset)
    copies, rest = divmod(n, total)
    indices = list(range(total)) * copies + random.Random(seed).sample(range(total), rest)
    return dataset.select(indices)


def concat(parts: Sequence, what: str):
    """Concatenate standardized datasets; columns missing in some are filled with None.

    Raises:
        UsageError: When two datasets give one column different types.
    """
    from datasets import concatenate_datasets

    if len(parts) == 1:
        return parts[0]
    try:
        return concatenate_datasets(list(parts))
    except ValueError as exc:
        raise UsageError(
            f"cannot combine the datasets of {what}: {exc}. Give each extra column one type "
            "in every dataset, or rename it with --columns."
        ) from exc


def load_dataset_list(specs: Sequence[str], args: Any, opts: RowOptions, what: str = "--dataset"):
    """Load, standardize, sample and concatenate the entries of one argument."""
    from swift_transformers.data.custom_info import load_custom_info

    custom = load_custom_info(getattr(args, "custom_dataset_info", None) or [])
    seed = int(getattr(args, "data_seed", 42))
    parts = []
    for raw in specs:
        spec = parse_dataset_spec(raw)
        loaded = load_spec(spec, args, opts, custom)
        dataset = concat(loaded, spec.raw)
        if spec.n is not None:
            dataset = sample_dataset(dataset, spec.n, seed)
        parts.append(dataset)
    return concat(parts, what)


def split_dataset(dataset, ratio: float, seed: int):
    """Hold out ``ratio`` of ``dataset`` (at least one row) → ``(train, val)``.

    Raises:
        UsageError: For a ratio outside ``[0, 1)``.
    """
    if not 0 <= ratio < 1:
        raise UsageError(f"--split_dataset_ratio must be in [0, 1), got {ratio}")
    if ratio == 0:
        return dataset, None
    if len(dataset) < 2:
        logger.warning("only %d row(s): no validation split (split_dataset_ratio=%s)", len(dataset), ratio)
        return dataset, None
    parts = dataset.train_test_split(test_size=ratio, seed=seed, shuffle=True)
    return parts["train"], parts["test"]


def load_datasets(args: Any, *, require_response: bool | None = None):
    """Training and validation data of a command, as standardized ``messages`` rows.

    Args:
        args: Arguments with ``dataset``, ``val_dataset``, ``split_dataset_ratio``,
            ``data_seed``, ``dataset_num_proc``, ``streaming``, ``load_from_cache_file``,
            ``download_mode``, ``strict``, ``columns``, ``model_name``, ``model_author``,
            ``custom_dataset_info``.
        require_response: See :func:`row_options`.

    Returns:
        ``(train, val)``: ``datasets.Dataset`` objects (``IterableDataset`` when
        streaming) with a ``messages`` column plus every extra column of the data;
        ``train`` is None without ``--dataset``, ``val`` None without a validation set.

    Raises:
        UsageError: For no dataset at all, unreadable specs, bad rows with ``--strict``.

    Example::

        train, val = load_datasets(TrainArguments(dataset=["data.jsonl#1000"], ...))
        train[0]["messages"]  # [{"role": "user", ...}, {"role": "assistant", ...}]
    """
    specs = list(getattr(args, "dataset", None) or [])
    val_specs = list(getattr(args, "val_dataset", None) or [])
    if not specs and not val_specs:
        raise UsageError("no dataset given: pass --dataset <file, folder or id> (e.g. --dataset data.jsonl)")
    opts = row_options(args, require_response=require_response)
    train = load_dataset_list(specs, args, opts) if specs else None
    val = load_dataset_list(val_specs, args, opts, "--val_dataset") if val_specs else None
    ratio = float(getattr(args, "split_dataset_ratio", 0.0) or 0.0)
    if train is not None and val is None and ratio > 0:
        if opts.streaming:
            logger.warning("streaming: --split_dataset_ratio is ignored; pass --val_dataset to validate")
        else:
            train, val = split_dataset(train, ratio, int(getattr(args, "data_seed", 42)))
    return train, val
