"""``swift infer`` over a dataset: answer every row and write JSONL results.

The rows come from ``--val_dataset``, or from the held-out split of ``--dataset``
(``--split_dataset_ratio``; with ``--load_data_args`` both are read from the
training run's ``args.json``), as ms-swift does. Each output line is
``{"messages": [..., answer], "response": answer, "labels": reference or null}``.

A sequence classifier (``--task_type seq_cls``) reads each row's whole conversation; its
reference is the row's ``label`` and each line adds the answer's per-label ``probs``. For
single-label classification the run ends with the accuracy over the rows that have a label.
"""

from __future__ import annotations

import json
import os
import random
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from swift.kernel import UsageError
from swift.protocol import InferRequest, request_config_from_args
from swift.scores import rouge_l
from swift.services import adapter_paths, load_datasets
from swift.template.media import row_media

if TYPE_CHECKING:
    from swift.arguments import InferArguments

DEFAULT_CHUNK = 16


def wants_dataset(args: InferArguments) -> bool:
    """Whether ``args`` name data to infer on (else ``swift infer`` is interactive)."""
    ratio = float(getattr(args, "split_dataset_ratio", 0) or 0)
    return bool(getattr(args, "val_dataset", None)) or (bool(getattr(args, "dataset", None)) and ratio > 0)


def load_rows(args: InferArguments) -> list[dict]:
    """The validation rows (``messages`` …), sampled to ``--val_dataset_sample``.

    Raises:
        UsageError: No validation rows (for example ``--split_dataset_ratio 0``).
    """
    _, val = load_datasets(args, require_response=False)
    if val is None:
        raise UsageError(
            "no validation rows to infer on: pass --val_dataset, or --dataset with --split_dataset_ratio > 0"
        )
    total = len(val)
    indices = list(range(total))
    n = getattr(args, "val_dataset_sample", None)
    if n is not None and 0 <= n < total:
        indices = sorted(random.Random(getattr(args, "data_seed", 42)).sample(indices, n))
    return [dict(val[i]) for i in indices]


def default_result_path(args: InferArguments) -> str:
    """``<checkpoint or model folder>/infer_result/<timestamp>.jsonl``."""
    adapters = adapter_paths(args.adapters)
    base = getattr(args, "ckpt_dir", None) or (adapters[0] if adapters else None)
    if base is None:
        model = args.model or "model"
        base = model if os.path.isdir(model) else os.path.join("result", os.path.basename(model.rstrip("/")))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return os.path.join(base, "infer_result", f"{stamp}.jsonl")


def open_result_file(args: InferArguments, path: str | None = None) -> tuple[str, TextIO]:
    """Open the JSONL result file (``--result_path`` or the default), ``--writer_buffer_size``."""
    path = path or getattr(args, "result_path", None) or default_result_path(args)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    buffering = max(int(getattr(args, "writer_buffer_size", 65536) or 0), 2)
    return path, open(path, "w", encoding="utf-8", buffering=buffering)


def split_row(row: dict, *, classify: bool = False) -> tuple[InferRequest, Any]:
    """The request for a row and its reference.

    A language model gets the messages up to the last user turn and the final reply is the
    reference; a classifier (``classify``) gets every message and the reference is ``label``.
    """
    messages = [{"role": m["role"], "content": m["content"]} for m in row["messages"]]
    labels = row.get("label") if classify else None
    if not classify and messages and messages[-1]["role"] == "assistant":
        labels = messages.pop()["content"]
    request = InferRequest(
        messages=messages, tools=row.get("tools") or None, system=row.get("system"), **row_media(row)
    )
    return request, labels


def score_answer(metric: str, answer: str, reference: str) -> float:
    """``--metric`` of one answer: ``acc`` exact match (surrounding spaces ignored), ``rouge`` ROUGE-L F1 of words."""
    if metric == "acc":
        return float(answer.strip() == reference.strip())
    return rouge_l(answer.split(), reference.split())


def _class_index(value: Any) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _infer_chunk(
    engine: Any, rows: list, start: int, chunk: int, config: Any, classify: bool, skipped: list[str], strict: bool
) -> tuple[list, list]:
    """The requests of ``rows[start:start+chunk]`` and their responses.

    A row the engine refuses (an unreadable image, a prompt too long …) is left out and its
    reason appended to ``skipped``; with ``--strict`` it stops the run.
    """
    from swift.pipelines.infer_engine import infer_each

    pairs, numbers = [], []
    for i, row in enumerate(rows[start : start + chunk], start + 1):
        try:
            pairs.append(split_row(row, classify=classify))
            numbers.append(i)
        except ValueError as exc:
            _skip(skipped, strict, i, exc)
    kept, responses = [], []
    for number, pair, result in zip(numbers, pairs, infer_each(engine, [p[0] for p in pairs], config)):
        if isinstance(result, Exception):
            _skip(skipped, strict, number, result)
        else:
            kept.append(pair)
            responses.append(result)
    return kept, responses


def _skip(skipped: list[str], strict: bool, number: int, exc: Exception) -> None:
    reason = f"row {number}: {exc}"
    if strict:
        raise UsageError(f"{reason} (--strict stops at the first row that cannot be inferred)") from exc
    skipped.append(reason)


def run_dataset(engine: Any, args: InferArguments, out: TextIO | None = None) -> dict:
    """Infer every validation row with ``engine`` and write the results.

    Returns:
        ``{"result_path": path, "num_samples": n}``.
    """
    out = out or sys.stdout
    rows = load_rows(args)
    config = request_config_from_args(args, stream=False)
    chunk = max(int(getattr(args, "max_batch_size", None) or 0), DEFAULT_CHUNK)
    metric = getattr(args, "metric", None)
    scores: list[float] = []
    classify = getattr(args, "task_type", None) == "seq_cls"
    single_label = classify and getattr(args, "problem_type", None) == "single_label_classification"
    scored = correct = 0
    path, writer = open_result_file(args)
    skipped: list[str] = []
    strict = bool(getattr(args, "strict", False))
    with writer:
        for start in range(0, len(rows), chunk):
            pairs, responses = _infer_chunk(engine, rows, start, chunk, config, classify, skipped, strict)
            for (request, labels), response in zip(pairs, responses):
                text = response.choices[0].message.content
                record = {
                    "messages": [*request.messages, {"role": "assistant", "content": text}],
                    "response": text,
                    "labels": labels,
                }
                if metric and labels is not None and not classify:
                    scores.append(score_answer(metric, text or "", str(labels)))
                probs = response.choices[0].probs
                if probs is not None:
                    record["probs"] = probs
                    gold = _class_index(labels) if single_label else None
                    if gold is not None:
                        scored += 1
                        correct += int(max(range(len(probs)), key=probs.__getitem__) == gold)
                if request.system is not None:
                    record["system"] = request.system
                for column in ("images", "videos", "audios"):
                    items = getattr(request, column)
                    if items and all(isinstance(item, str) for item in items):
                        record[column] = items
                writer.write(json.dumps(record, ensure_ascii=False) + "\n")
                query = request.messages[-1]["content"] if request.messages else ""
                print(f"[QUERY] {query}\n[RESPONSE] {text}\n[LABELS] {labels}\n" + "-" * 50, file=out)
    written = len(rows) - len(skipped)
    print(f"swift infer: wrote {written} results to {path}", file=out)
    if skipped:
        print(f"swift infer: skipped {len(skipped)} of {len(rows)} rows, first {skipped[0]}", file=out)
    summary: dict[str, Any] = {"result_path": path, "num_samples": written, "skipped": len(skipped)}
    if scores:
        summary[metric] = sum(scores) / len(scores)
        print(f"swift infer: {metric} {summary[metric]:.4f} ({len(scores)} rows with a reference)", file=out)
    if scored:
        summary["acc"] = correct / scored
        print(f"swift infer: acc {correct / scored:.4f} ({correct}/{scored} rows with a label)", file=out)
    return summary
