"""Training a sequence classifier (``--task_type seq_cls``): trainer, metrics, predictions.

``ClassificationTrainer`` is transformers' ``Trainer`` with what every swift trainer adds
(:class:`~.mixins.SwiftTrainerMixin`) and ``acc`` in every training log. The model computes its
own loss from ``config.problem_type`` (cross-entropy, BCE with logits, or MSE), a mean over the
micro-batch; the Trainer divides it by the accumulation steps, so gradient accumulation
averages as a bigger batch would.

Evaluation reports per ``problem_type``:

* single label: ``acc`` and ``f1`` (macro over the classes);
* multi label: ``acc`` (every class of a row right), ``f1`` (micro over the decisions at 0.5);
* regression: ``mse`` and ``mae``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from transformers import Trainer

from swift_transformers.train.mixins import AccuracyLogMixin, SwiftTrainerMixin


def predictions(logits: torch.Tensor, problem_type: str) -> torch.Tensor:
    """Class indices (single label), 0/1 decisions (multi label) or the values (regression)."""
    if problem_type == "single_label_classification":
        return logits.argmax(dim=-1)
    if problem_type == "multi_label_classification":
        return (logits > 0).long()  # sigmoid(x) > 0.5
    return logits.squeeze(-1) if logits.shape[-1] == 1 else logits


def probabilities(logits: torch.Tensor, problem_type: str) -> torch.Tensor:
    """What a served classifier reports per label: softmax, sigmoid, or the raw values (regression)."""
    logits = logits.float()
    if problem_type == "single_label_classification":
        return logits.softmax(dim=-1)
    if problem_type == "multi_label_classification":
        return logits.sigmoid()
    return logits


def correct_counts(logits: torch.Tensor, labels: torch.Tensor, problem_type: str) -> torch.Tensor | None:
    """``[correct, total]`` rows of a batch, for the training ``acc``; None for regression."""
    if problem_type == "regression":
        return None
    pred = predictions(logits, problem_type)
    if problem_type == "multi_label_classification":
        right = pred.eq(labels.long()).all(dim=-1)
    else:
        right = pred.eq(labels)
    return torch.stack([right.sum(), torch.tensor(right.numel(), device=right.device)])


def macro_f1(pred: np.ndarray, gold: np.ndarray, num_labels: int) -> float:
    """Mean over the classes of each class's F1 (a class absent from both counts as 1)."""
    scores = []
    for c in range(num_labels):
        tp = int(((pred == c) & (gold == c)).sum())
        fp = int(((pred == c) & (gold != c)).sum())
        fn = int(((pred != c) & (gold == c)).sum())
        scores.append(1.0 if tp + fp + fn == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def micro_f1(pred: np.ndarray, gold: np.ndarray) -> float:
    """F1 over every (row, class) decision of a multi-label set."""
    tp = int(((pred == 1) & (gold == 1)).sum())
    wrong = int((pred != gold).sum())
    return 1.0 if tp + wrong == 0 else 2 * tp / (2 * tp + wrong)


def make_classification_metric(problem_type: str, num_labels: int):
    """``compute_metrics`` for the Trainer's evaluation (see the module docstring)."""

    def compute_metrics(eval_prediction) -> dict[str, float]:
        logits = np.asarray(eval_prediction.predictions)
        gold = np.asarray(eval_prediction.label_ids)
        if problem_type == "regression":
            values = logits.reshape(gold.shape)
            return {"mse": float(((values - gold) ** 2).mean()), "mae": float(np.abs(values - gold).mean())}
        if problem_type == "multi_label_classification":
            pred = (logits > 0).astype(np.int64)
            gold = gold.astype(np.int64)
            return {"acc": float((pred == gold).all(axis=-1).mean()), "f1": micro_f1(pred, gold)}
        pred = logits.argmax(axis=-1)
        return {"acc": float((pred == gold).mean()), "f1": macro_f1(pred, gold, num_labels)}

    return compute_metrics


class ClassificationTrainer(AccuracyLogMixin, SwiftTrainerMixin, Trainer):
    """The trainer of ``swift sft --task_type seq_cls``.

    Args:
        *args: Passed to ``Trainer``.
        problem_type: The model's ``config.problem_type``.
        **kwargs: ``tuner`` and ``param_groups`` (see :class:`~.mixins.SwiftTrainerMixin`),
            the rest passed to ``Trainer``.
    """

    def __init__(self, *args: Any, problem_type: str, **kwargs: Any):
        self.problem_type = problem_type
        super().__init__(*args, **kwargs)
        # the model's loss is a mean over its micro-batch and takes no token count:
        # let the Trainer divide it by the accumulation steps
        self.model_accepts_loss_kwargs = False

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        """The model's loss; in training also count correct rows for ``acc``."""
        labels = inputs.get("labels")
        loss, outputs = super().compute_loss(model, inputs, return_outputs=True)
        if model.training and labels is not None:
            with torch.no_grad():
                counts = correct_counts(outputs["logits"], labels, self.problem_type)
            if counts is not None:
                self.count_accuracy(counts)
        return (loss, outputs) if return_outputs else loss
