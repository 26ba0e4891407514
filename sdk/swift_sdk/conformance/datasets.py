"""Dataset conformance: a named dataset or a file format yields trainable ``messages`` rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from swift_sdk.conformance.errors import CheckSkipped, fail
from swift_sdk.conformance.plugin import PluginUnderTest
from swift_sdk.conformance.tiny_cache import tiny_tokenizer

SAMPLE_ROWS = 3


def check_dataset(
    plugin: PluginUnderTest,
    name: str,
    sample: str | None = None,
    arguments: Mapping[str, Any] | None = None,
) -> None:
    """Load ``--dataset name#3`` (a format: ``--dataset <sample file>``) as ``swift sft`` does.

    Checks: rows come back standardized with ``messages`` ending in an assistant reply
    (``#3`` gives 3 rows for a named dataset) and encode with the ``chatml`` template to
    at least one trained token.

    Args:
        plugin: From :func:`~swift_sdk.conformance.load_plugin`.
        name: The record name.
        sample: For ``kind="format"`` records: a file in that format.
        arguments: ``swift sft`` flags the loader reads (``{"model_name": ["A", "B"]}``).

    Raises:
        CheckSkipped: swift-transformers (the dataset pipeline) is missing, or a format
            record has no sample file.
        ConformanceError: Naming the dataset and what is wrong with its rows.
    """
    record = plugin.record("datasets", name)
    try:
        from swift.services import load_datasets
    except ImportError as exc:
        raise CheckSkipped(f"swift-transformers is not installed: it loads datasets ({exc})") from exc
    from swift.arguments import TrainArguments
    from swift.template import get_template

    if record.kind == "format":
        if sample is None:
            raise CheckSkipped(f"format {name!r}: give a sample file (dataset_samples = {{{name!r}: path}})")
        spec = sample
    else:
        spec = f"{name}#{SAMPLE_ROWS}"

    def problem(text: str) -> Exception:
        return fail(plugin.label, text, family="datasets", record=name)

    with plugin.active():
        try:
            train, _ = load_datasets(TrainArguments(dataset=[spec], split_dataset_ratio=0.0, **(arguments or {})))
        except Exception as exc:  # noqa: BLE001 - reported to the author
            raise problem(f"`--dataset {spec}` fails: {type(exc).__name__}: {exc}") from exc
        rows = [dict(train[i]) for i in range(len(train))]
        if record.kind != "format" and len(rows) != SAMPLE_ROWS:
            raise problem(f"`--dataset {spec}` gave {len(rows)} rows, expected {SAMPLE_ROWS}")
        if not rows:
            raise problem(f"`--dataset {spec}` gave no rows")
        template = get_template("chatml", tiny_tokenizer())
        for i, row in enumerate(rows):
            messages = row.get("messages") or []
            if not messages or messages[-1].get("role") != "assistant":
                raise problem(f"row {i} has messages {messages!r}; training rows end with an assistant reply")
            if not any(label != -100 for label in template.encode(row)["labels"]):
                raise problem(f"row {i} encodes to no trained token")
