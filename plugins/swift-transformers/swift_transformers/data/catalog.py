"""The dataset records of swift-transformers: file formats and named datasets.

Light on purpose (no ``datasets``/``torch``): ``swift plugins list`` reads it.
A plugin adds a format the same way, e.g. ``DatasetRecord(name="arrow", kind="format",
suffixes=(".arrow",), load="swift_acme.data:read_arrow")``; its loader is
``fn(path, args)`` returning row dicts or a ``datasets.Dataset``.
"""

from __future__ import annotations

from swift.kernel import DatasetRecord

_READERS = "swift_transformers.data.readers"

FORMAT_RECORDS = (
    DatasetRecord(
        name="jsonl",
        kind="format",
        suffixes=(".jsonl",),
        load=f"{_READERS}:read_jsonl",
        summary="JSON Lines: one object per line (messages, alpaca, query/response, sharegpt …)",
    ),
    DatasetRecord(
        name="json",
        kind="format",
        suffixes=(".json",),
        load=f"{_READERS}:read_json",
        summary='JSON: a list of objects, {"data": [...]}, or JSON Lines',
    ),
    DatasetRecord(
        name="csv",
        kind="format",
        suffixes=(".csv",),
        load=f"{_READERS}:read_csv",
        summary="CSV with a header row; empty cells are missing values",
    ),
    DatasetRecord(
        name="parquet",
        kind="format",
        suffixes=(".parquet",),
        load=f"{_READERS}:read_parquet",
        summary="Apache Parquet",
    ),
    DatasetRecord(
        name="txt",
        kind="format",
        suffixes=(".txt",),
        load=f"{_READERS}:read_txt",
        summary="plain text, one sample per line (for swift pt)",
    ),
)

NAMED_RECORDS = (
    DatasetRecord(
        name="swift/self-cognition",
        aliases=("self-cognition",),
        load="swift_transformers.data.self_cognition:load_self_cognition",
        summary="who the model is, Chinese and English; needs --model_name and --model_author",
        tags=("sft", "self-cognition", "zh", "en"),
    ),
)


def _hub_records() -> tuple[DatasetRecord, ...]:
    from swift_transformers.data.hubs import HUB_DATASETS

    return tuple(
        DatasetRecord(
            name=d.modelscope,
            aliases=(d.huggingface,),
            hub_id=d.huggingface,
            load="swift_transformers.data.hubs:load_hub_dataset",
            summary=f"{d.summary}; ModelScope, or Hugging Face {d.huggingface} with --use_hf",
            tags=d.tags,
        )
        for d in HUB_DATASETS
    )


HUB_RECORDS = _hub_records()

DATASET_RECORDS = (*FORMAT_RECORDS, *NAMED_RECORDS, *HUB_RECORDS)
