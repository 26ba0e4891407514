"""``swift/self-cognition``: who the model says it is, with names from the command line.

The bundled rows (``bundled/self_cognition.jsonl``, Chinese and English) hold
``{{NAME}}`` and ``{{AUTHOR}}``; ``--model_name 中文名 'English name'`` and
``--model_author 中文作者 'English author'`` fill them, Chinese rows with the Chinese
names and English rows with the English ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

from swift.kernel import UsageError

_EXAMPLE = "--model_name 小黄 'Xiao Huang' --model_author 魔搭 ModelScope"


def _pair(value: str | Sequence[str] | None, flag: str) -> tuple[str, str]:
    if isinstance(value, str):
        value = [value]
    names = [v for v in (value or []) if isinstance(v, str) and v.strip()]
    if not names:
        raise UsageError(
            f"the self-cognition dataset needs --model_name and --model_author (missing {flag}): "
            f"the model's name and its author, Chinese then English, e.g. {_EXAMPLE}"
        )
    if len(names) > 2:
        raise UsageError(f"{flag} takes a Chinese and an English name, got {len(names)} values: {names}")
    return names[0], names[-1]  # one value serves both languages


def bundled_rows() -> list[dict[str, str]]:
    """The template rows, placeholders unfilled (``query``, ``response``, ``tag``)."""
    text = resources.files("swift_transformers.data").joinpath("bundled/self_cognition.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def self_cognition_rows(model_name: Sequence[str] | str, model_author: Sequence[str] | str) -> list[dict[str, str]]:
    """Rows with ``{{NAME}}`` / ``{{AUTHOR}}`` filled per language.

    Raises:
        UsageError: When a name is missing, saying both flags are required.
    """
    names = dict(zip(("zh", "en"), _pair(model_name, "--model_name")))
    authors = dict(zip(("zh", "en"), _pair(model_author, "--model_author")))
    rows = []
    for row in bundled_rows():
        lang = row.get("tag", "en")
        fill = {"{{NAME}}": names[lang], "{{AUTHOR}}": authors[lang]}
        query, response = row["query"], row["response"]
        for key, value in fill.items():
            query, response = query.replace(key, value), response.replace(key, value)
        rows.append({"query": query, "response": response})
    return rows


def load_self_cognition(spec: Any, args: Any):
    """The named-dataset loader: ``fn(spec, args) -> datasets.Dataset`` of query/response rows."""
    from datasets import Dataset

    return Dataset.from_list(
        self_cognition_rows(getattr(args, "model_name", None), getattr(args, "model_author", None))
    )
