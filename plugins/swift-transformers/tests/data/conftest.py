"""Fixtures of the dataset tests: argument objects, data files, a ChatML template."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import pytest


@pytest.fixture
def make_args():
    """``TrainArguments`` as ``swift sft`` builds them; no validation split unless asked."""
    from swift.arguments import TrainArguments

    def make(**kwargs):
        kwargs.setdefault("split_dataset_ratio", 0.0)
        return TrainArguments(**kwargs)

    return make


def _write(path: Path, rows: list, fmt: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = fmt or path.suffix.lstrip(".")
    if fmt == "jsonl":
        text = "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows)
        path.write_text(text, encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    elif fmt == "csv":
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    elif fmt == "parquet":
        from datasets import Dataset

        Dataset.from_list(rows).to_parquet(str(path))
    else:
        raise ValueError(fmt)
    return path


@pytest.fixture
def write(tmp_path):
    """``write("name.jsonl", rows)`` → the path of a data file under the test's tmp dir."""

    def make(name: str, rows: list, fmt: str | None = None) -> str:
        return str(_write(tmp_path / name, rows, fmt))

    return make


@pytest.fixture
def warnings_of(caplog):
    """The warning lines swift's data code logged (what a user sees on stderr)."""
    caplog.set_level(logging.WARNING, logger="swift.data")

    def lines() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "swift.data"]

    return lines


@pytest.fixture(scope="session")
def tokenizer():
    from swift_sdk.tiny import build_tokenizer

    return build_tokenizer()


@pytest.fixture(scope="session")
def chatml(tokenizer):
    """The core ChatML template bound to the tiny tokenizer."""
    from swift.template import get_template

    return get_template("chatml", tokenizer)


@pytest.fixture
def plain():
    """``plain(messages)``: standardized messages without the ``tool_calls`` key of those that make no call."""

    def strip(messages):
        if messages and isinstance(messages[0], list):
            return [strip(m) for m in messages]
        return [{k: v for k, v in m.items() if not (k == "tool_calls" and v is None)} for m in messages]

    return strip
