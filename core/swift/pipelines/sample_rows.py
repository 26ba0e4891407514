"""Prompts of ``swift sample``: dataset rows, their shard, ids and earlier results.

Rows come from ``--dataset`` through the datasets plugin (nothing held out). Each
row is identified by the md5 of its JSON (as ms-swift does), so results of an
earlier run (``--cache_files``) are matched to their prompts.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import sys
from typing import TYPE_CHECKING

from swift.kernel import UsageError
from swift.protocol import InferRequest
from swift.services import load_datasets

if TYPE_CHECKING:
    from swift.arguments import SamplingArguments


def load_rows(args: SamplingArguments) -> list[dict]:
    """The rows of ``--dataset`` in the shard ``--data_range index count`` selects.

    Raises:
        UsageError: No dataset, no rows, or a malformed ``--data_range``.
    """
    view = copy.copy(args)
    view.split_dataset_ratio = 0.0  # every row is a prompt to sample for
    view.val_dataset = []
    rows, _ = load_datasets(view, require_response=False)
    if rows is None or len(rows) == 0:
        raise UsageError("--dataset has no rows to sample from.")
    start, stop = shard_bounds(len(rows), args.data_range)
    return [dict(rows[i]) for i in range(start, stop)]


def shard_bounds(total: int, data_range: list[int]) -> tuple[int, int]:
    """``[start, stop)`` of shard ``index`` of ``count`` equal shards (ms-swift drops the rest)."""
    if not data_range:
        return 0, total
    if len(data_range) != 2 or not 0 <= data_range[0] < data_range[1]:
        raise UsageError(f"--data_range takes `index count` with 0 <= index < count, got {data_range}.")
    index, count = data_range
    size = total // count
    return size * index, size * (index + 1)


def row_id(row: dict) -> str:
    """The md5 of the row's JSON: the same prompt gets the same id in every run."""
    serialized = json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.md5(serialized.encode("utf-8")).hexdigest()


def split_prompt(row: dict, system: str | None) -> tuple[list[dict], str | None]:
    """The prompt messages (``--system`` applied) and the reference answer, if any."""
    messages = [{"role": m["role"], "content": m["content"]} for m in row["messages"]]
    reference = None
    if messages and messages[-1]["role"] == "assistant":
        reference = messages.pop()["content"]
    if system:
        if messages and messages[0]["role"] == "system":
            messages[0] = {"role": "system", "content": system}
        else:
            messages.insert(0, {"role": "system", "content": system})
    elif row.get("system") and not (messages and messages[0]["role"] == "system"):
        messages.insert(0, {"role": "system", "content": row["system"]})
    return messages, reference


def make_request(messages: list[dict], row: dict) -> InferRequest:
    """The engine request of a prompt."""
    from swift.template.media import row_media

    return InferRequest(messages=messages, tools=row.get("tools") or None, **row_media(row))


def read_cache(paths: list[str]) -> dict[str, list[str]]:
    """Responses of earlier result files by row id (``--cache_files``).

    Missing files are reported and skipped, as a resumed run may list shards that
    never finished.
    """
    cache: dict[str, list[str]] = {}
    for path in paths:
        if not os.path.isfile(path):
            print(f"swift sample: warning: cache file {path} does not exist", file=sys.stderr)
            continue
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    response = record["messages"][-1]
                    uid = record["id"]
                except (ValueError, KeyError, IndexError, TypeError) as exc:
                    raise UsageError(
                        f"--cache_files {path}:{number} is not a swift sample result line ({exc})."
                    ) from exc
                if response.get("role") == "assistant":
                    cache.setdefault(uid, []).append(response["content"])
    return cache
