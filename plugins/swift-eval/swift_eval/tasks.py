"""Local evaluation files → lm-eval task configs (fully offline).

Two row formats, told apart by their columns:

* multiple choice — ``{"question", "choices": [...], "answer"}`` with ``answer`` the index
  of the right choice or its text; scored by log-likelihood (``acc``): the choice whose
  text is likeliest after the question wins;
* generation — ``{"question", "answer"}``; the model answers the question through its chat
  template (as ``swift infer`` does) and is scored by exact match of the stripped answer and
  by math-verify (the answer's mathematical value equals the expected one).

Rows that are not JSON objects of either shape are counted and dropped (``--strict``: the
run stops at the first). The clean rows are written into the run folder, and that copy is
what lm-eval reads.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from swift.kernel import UsageError

LOCAL_SUFFIXES = (".jsonl", ".json")


def is_local(name: str) -> bool:
    """Whether an ``--eval_dataset`` entry names a file rather than an lm-eval task."""
    return name.endswith(LOCAL_SUFFIXES) or os.sep in name or os.path.exists(name)


@dataclass
class LocalTask:
    """A local file turned into an lm-eval task.

    Attributes:
        name: The task name (the file name without suffix).
        kind: ``multiple_choice`` or ``generation``.
        config: The lm-eval task config (a dict ``simple_evaluate`` accepts).
        dropped: ``(line number, reason)`` of every row left out.
    """

    name: str
    kind: str
    config: dict[str, Any]
    dropped: list[tuple[int, str]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def write(self, data_dir: str) -> None:
        """Write the clean rows into ``data_dir`` and point the task config at that copy."""
        os.makedirs(data_dir, exist_ok=True)
        copy = os.path.join(data_dir, f"{self.name}.jsonl")
        with open(copy, "w", encoding="utf-8") as fh:
            for row in self.rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.config["dataset_kwargs"] = {"data_files": {"test": copy}}


def _mc_row(row: dict) -> dict | str:
    choices, answer = row.get("choices"), row.get("answer")
    if not isinstance(row.get("question"), str):
        return "'question' must be a string"
    if not isinstance(choices, list) or len(choices) < 2 or not all(isinstance(c, str) for c in choices):
        return "'choices' must be a list of at least two strings"
    if isinstance(answer, bool) or not isinstance(answer, (int, str)):
        return "'answer' must be the index of the right choice or its text"
    gold = answer if isinstance(answer, int) else (choices.index(answer) if answer in choices else -1)
    if not 0 <= gold < len(choices):
        return f"'answer' {answer!r} is not one of the choices"
    return {"question": row["question"], "choices": choices, "gold": gold}


def _gen_row(row: dict) -> dict | str:
    if not isinstance(row.get("question"), str) or not isinstance(row.get("answer"), (str, int, float)):
        return "a generation row needs 'question' (a string) and 'answer'"
    return {"question": row["question"], "answer": str(row["answer"]).strip()}


def score_answer(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    r"""Scores of one generated answer: ``exact_match`` (surrounding whitespace ignored) and ``math_verify``.

    ``math_verify`` parses both sides as mathematics (LaTeX, ``\boxed{}``, plain numbers and
    expressions) and compares the values, so ``0.5`` answers ``$\frac{1}{2}$`` and "so it is 42."
    answers ``42``; text that holds no mathematics scores 0.
    """
    answer, gold = results[0], str(doc["answer"])
    return {"exact_match": float(answer.strip() == gold.strip()), "math_verify": _math_verify(gold, answer)}


def _math_verify(gold: str, answer: str) -> float:
    from math_verify import parse, verify

    try:
        expected = parse(gold)
        return float(bool(expected) and verify(expected, parse(answer)))
    except Exception:  # noqa: BLE001 - an answer the parser cannot read is wrong, not a crash
        return 0.0


def local_task(path: str, *, strict: bool = False, generation: dict | None = None) -> LocalTask:
    """Read ``path``, keep its good rows, and describe the task to lm-eval (:meth:`LocalTask.write` saves them).

    Args:
        path: A jsonl file (or a JSON list) of rows.
        strict: Raise on the first bad row instead of dropping it.
        generation: Extra ``generation_kwargs`` of generation tasks (``--eval_generation_config``).

    Raises:
        UsageError: No usable row, or a bad row with ``strict``.
    """
    name = os.path.splitext(os.path.basename(path))[0]
    rows = _read(path)
    kind = "multiple_choice" if any(isinstance(r, dict) and "choices" in r for _, r in rows) else "generation"
    clean, dropped = [], []
    for line, row in rows:
        result = (_mc_row if kind == "multiple_choice" else _gen_row)(row) if isinstance(row, dict) else None
        if not isinstance(result, dict):
            reason = result or "not a JSON object"
            if strict:
                raise UsageError(f"{path}:{line}: {reason} (--strict)")
            dropped.append((line, reason))
            continue
        clean.append(result)
    if not clean:
        raise UsageError(f"{path}: no usable {kind.replace('_', '-')} row ({len(dropped)} dropped)")
    config: dict[str, Any] = {
        "task": name,
        "dataset_path": "json",
        "test_split": "test",
        "doc_to_text": "{{question}}",
        "metadata": {"version": 1.0, "source": os.path.abspath(path)},
    }
    if kind == "multiple_choice":
        config |= {
            "output_type": "multiple_choice",
            "doc_to_choice": "{{choices}}",
            "doc_to_target": "{{gold}}",
            "target_delimiter": " ",
            "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
        }
    else:
        config |= {
            "output_type": "generate_until",
            "doc_to_target": "{{answer}}",
            "generation_kwargs": {"until": [], "do_sample": False, "temperature": 0.0, "max_gen_toks": 256}
            | (generation or {}),
            "process_results": score_answer,
            "metric_list": [
                {"metric": metric, "aggregation": "mean", "higher_is_better": True}
                for metric in ("exact_match", "math_verify")
            ],
        }
    return LocalTask(name, kind, config, dropped, clean)


def _read(path: str) -> list[tuple[int, Any]]:
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    if text.lstrip().startswith("["):
        try:
            return list(enumerate(json.loads(text), 1))
        except ValueError as exc:
            raise UsageError(f"{path}: not a JSON list ({exc})") from exc
    rows = []
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            rows.append((line, json.loads(raw)))
        except ValueError:
            rows.append((line, "not JSON"))
    return rows
