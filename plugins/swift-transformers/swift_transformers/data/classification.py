"""Rows of a classification dataset → ``input_ids`` and a ``labels`` value (``--task_type seq_cls``).

A row is a conversation plus a ``label`` column, as ms-swift's::

    {"messages": [{"role": "user", "content": "The food was great"}], "label": 1}

The conversation is rendered by the model's template: up to the assistant header when it ends
with a user turn (the prompt the model would answer), whole when it ends with an assistant turn
(classify a reply). ``label`` per ``--problem_type``:

* ``single_label_classification``: the class index, ``0 … num_labels-1`` (an int or its text);
* ``multi_label_classification``: a list of class indices (``[0, 2]``), stored multi-hot;
* ``regression``: a number (``--num_labels 1``) or a list of ``num_labels`` numbers.

A row without a usable label is a bad row (:class:`~swift.template.TemplateError`): counted and
dropped, or raised with ``--strict``, like every other malformed row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from swift.template import TemplateError
from swift_transformers.models.tasks import ClassificationTask

LABEL_COLUMN = "label"


def parse_label(value: Any, task: ClassificationTask) -> int | float | list[float]:
    """The training target of one row's ``label`` for ``task``.

    Raises:
        TemplateError: Missing, of the wrong kind, or out of range.
    """
    n, kind = task.num_labels, task.problem_type
    if value is None:
        raise TemplateError(f"no {LABEL_COLUMN!r} column value (a classification row needs one)")
    if kind == "single_label_classification":
        index = _index(value, n)
        return index
    if kind == "multi_label_classification":
        items = value if isinstance(value, (list, tuple)) else [value]
        hot = [0.0] * n
        for item in items:
            hot[_index(item, n)] = 1.0
        return hot
    numbers = list(value) if isinstance(value, (list, tuple)) else [value]
    if len(numbers) != n:
        raise TemplateError(f"regression label {value!r} has {len(numbers)} values; --num_labels is {n}")
    floats = [_number(x) for x in numbers]
    return floats[0] if n == 1 else floats


def _index(value: Any, n: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str, float)):
        raise TemplateError(f"label {value!r} is not a class index")
    try:
        number = float(value)
    except ValueError:
        raise TemplateError(f"label {value!r} is not a class index (0 … {n - 1})") from None
    if not number.is_integer() or not 0 <= number < n:
        raise TemplateError(f"label {value!r} is not a class index 0 … {n - 1} (--num_labels {n})")
    return int(number)


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TemplateError(f"regression label {value!r} is not a number") from None
    if not math.isfinite(number):
        raise TemplateError(f"regression label {value!r} is not finite")
    return number


class ClassificationEncoder:
    """A template's ``encode`` for classification rows: the conversation's ids and the row's label.

    Used where a template is (``encode_dataset``, lazy tokenization): ``encode(row)`` returns
    ``{"input_ids", "labels"}`` with ``labels`` the value of :func:`parse_label`.

    Args:
        template: The model's :class:`swift.template.Template`.
        task: The resolved classification task.
    """

    def __init__(self, template: Any, task: ClassificationTask):
        self.template, self.task = template, task

    def __getattr__(self, name: str) -> Any:  # max_length, tokenizer … as the template has them
        return getattr(self.template, name)

    def encode(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """``input_ids`` of the conversation and ``labels`` of the row.

        Raises:
            TemplateError: A malformed conversation or label.
            MaxLengthError: Too long with ``--truncation_strategy delete``.
        """
        label = parse_label(row.get(LABEL_COLUMN), self.task)
        ids = classification_ids(self.template, row.get("messages") or [], row.get("system"), row.get("tools"))
        return {"input_ids": ids, "labels": label}


def classification_ids(
    template: Any, messages: Sequence[Any], system: str | None = None, tools: Any = None
) -> list[int]:
    """The ids a classifier reads for a conversation, in training and when serving alike.

    Up to the assistant header after a final user turn; the whole conversation after a final
    assistant turn.

    Raises:
        TemplateError: No messages, or messages the template rejects.
    """
    if not messages:
        raise TemplateError("no messages to classify")
    last = messages[-1].get("role") if isinstance(messages[-1], Mapping) else None
    return list(template.encode_prompt(messages, system, add_generation_prompt=last != "assistant", tools=tools))
