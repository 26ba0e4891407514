"""What head a run puts on the model: ``--task_type``, ``--num_labels``, ``--problem_type``.

``causal_lm`` is the language-model head every record loads by default. ``seq_cls`` loads the
same checkpoint with ``AutoModelForSequenceClassification``: a linear ``score`` head reading the
hidden state of the last token that is not padding. A checkpoint saved by such a run (full
training, or a merged LoRA) says so in ``config.json`` (``architectures``, ``id2label``), so
``swift infer --model <it>`` finds the task by itself.

Light: reads ``config.json`` as JSON, no transformers import.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from swift.kernel import UsageError

CLASSIFICATION_SUFFIX = "ForSequenceClassification"


@dataclass(frozen=True)
class ClassificationTask:
    """A resolved ``seq_cls`` task.

    Attributes:
        num_labels: Width of the head (1 for regression).
        problem_type: ``regression``, ``single_label_classification`` or ``multi_label_classification``.
    """

    num_labels: int
    problem_type: str


def _config(model_dir: str | None) -> dict[str, Any]:
    if not model_dir:
        return {}
    path = os.path.join(model_dir, "config.json")
    try:
        with open(path, encoding="utf-8") as fh:
            config = json.load(fh)
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def checkpoint_labels(model_dir: str | None) -> int | None:
    """The label count of a sequence-classification checkpoint; None for any other checkpoint."""
    config = _config(model_dir)
    if not any(str(a).endswith(CLASSIFICATION_SUFFIX) for a in config.get("architectures") or ()):
        return None
    if isinstance(config.get("id2label"), dict) and config["id2label"]:
        return len(config["id2label"])
    return int(config.get("num_labels") or 2)


def classification_task(args: Any, model_dir: str | None = None) -> ClassificationTask | None:
    """The classification task of a run, or None for ``causal_lm``.

    ``--task_type``/``--num_labels``/``--problem_type`` first (the arguments already applied
    ms-swift's defaults), then what a classification checkpoint in ``model_dir`` says.

    Raises:
        UsageError: ``--task_type seq_cls`` without ``--num_labels`` on a checkpoint that has no head.
    """
    task_type = getattr(args, "task_type", None)
    num_labels = getattr(args, "num_labels", None)
    if task_type == "causal_lm":
        return None
    saved = checkpoint_labels(model_dir)
    if task_type is None and saved is None:
        return None
    num_labels = num_labels or saved
    if num_labels is None:
        raise UsageError(
            "--task_type seq_cls needs --num_labels (the number of classes; 1 for regression): "
            f"{getattr(args, 'model', None) or model_dir!r} has no classification head to read it from"
        )
    problem_type = getattr(args, "problem_type", None) or _config(model_dir).get("problem_type")
    if not problem_type:
        problem_type = "regression" if num_labels == 1 else "single_label_classification"
    return ClassificationTask(int(num_labels), str(problem_type))


def model_task(model: Any) -> ClassificationTask | None:
    """The classification task of a loaded transformers model, or None for any other head."""
    if not type(model).__name__.endswith(CLASSIFICATION_SUFFIX):
        return None
    config = model.config
    num_labels = int(config.num_labels)
    problem_type = config.problem_type or ("regression" if num_labels == 1 else "single_label_classification")
    return ClassificationTask(num_labels, problem_type)
