"""Training/evaluation metrics: next-token accuracy (``--acc_strategy``) and text overlap.

``--metric``: ``acc`` (default), or with ``--predict_with_generate`` ``rouge`` (ROUGE-1/2/L),
``bleu`` (BLEU-4) or ``nlg`` (both, as ms-swift reports them), plus exact match.

Accuracy compares the argmax prediction at position ``t`` with the label at
``t + 1`` over trained tokens (labels ``!= -100``). ``token`` counts tokens;
``sentence`` counts samples whose trained tokens are *all* right — a sample is a
row, or one segment of a packed row when ``position_ids`` are given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from swift.scores import rouge_l


def accuracy_counts(
    preds: torch.Tensor,
    labels: torch.Tensor,
    strategy: str = "token",
    position_ids: torch.Tensor | None = None,
) -> torch.Tensor:
    """Correct and total counts of next-token predictions.

    Args:
        preds: ``[batch, seq]`` argmax token ids at each position (unshifted).
        labels: ``[batch, seq]`` labels, ``-100`` where nothing is trained.
        strategy: ``token`` or ``sentence``.
        position_ids: Packed-row positions (restarting at 0 per sample), to
            count sentences per sample rather than per row.

    Returns:
        ``tensor([correct, total])`` on the device of ``preds`` (no host sync for ``token``).
    """
    preds, labels = preds[..., :-1], labels[..., 1:].to(preds.device)
    mask = labels.ne(-100)
    hits = preds.eq(labels) & mask
    if strategy == "token":
        return torch.stack([hits.sum(), mask.sum()])
    if strategy != "sentence":
        raise ValueError(f"acc_strategy must be 'token' or 'sentence', got {strategy!r}")
    if position_ids is None:
        segments = torch.zeros_like(labels)
    else:
        # the label at t+1 belongs to the sample whose position restarts at or before t+1
        segments = position_ids.eq(0).cumsum(-1)[..., 1:].to(labels.device)
    correct = total = 0
    for row_mask, row_hits, row_segments in zip(mask, hits, segments):
        for segment in torch.unique(row_segments[row_mask]):
            in_segment = row_mask & row_segments.eq(segment)
            total += 1
            correct += int(bool(row_hits[in_segment].all()))
    return torch.tensor([correct, total], device=preds.device)


def argmax_logits(logits, labels):
    """``preprocess_logits_for_metrics``: keep only argmax ids (logits are too big to gather)."""
    if isinstance(logits, (tuple, list)):
        logits = logits[0]
    return logits.argmax(dim=-1)


def make_accuracy_metric(strategy: str):
    """``compute_metrics`` for evaluation: ``{"acc": ...}`` over the whole eval set."""

    def compute_metrics(eval_prediction) -> dict[str, float]:
        preds = torch.as_tensor(np.asarray(eval_prediction.predictions))
        labels = torch.as_tensor(np.asarray(eval_prediction.label_ids))
        correct, total = accuracy_counts(preds, labels, strategy).tolist()
        return {"acc": correct / total if total else 0.0}

    return compute_metrics


def _ngrams(tokens: Sequence[str], n: int) -> dict[tuple[str, ...], int]:
    counts: dict[tuple[str, ...], int] = {}
    for i in range(len(tokens) - n + 1):
        gram = tuple(tokens[i : i + n])
        counts[gram] = counts.get(gram, 0) + 1
    return counts


def rouge_n(prediction: Sequence[str], reference: Sequence[str], n: int) -> float:
    """ROUGE-N F1: overlap of the n-grams of two token sequences."""
    pred, ref = _ngrams(prediction, n), _ngrams(reference, n)
    overlap = sum(min(c, ref.get(g, 0)) for g, c in pred.items())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(pred.values()), overlap / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def bleu4(prediction: Sequence[str], reference: Sequence[str]) -> float:
    """Sentence BLEU-4 with a brevity penalty and NIST geometric smoothing of empty n-gram matches.

    A precision with no match counts as ``1 / (2^k · candidates)`` for the k-th such order (the
    smoothing nltk calls method 3, which ms-swift's ``bleu-4`` uses), so short answers still score.
    """
    if not prediction or not reference:
        return 0.0
    log_sum, misses = 0.0, 0
    for n in range(1, 5):
        pred, ref = _ngrams(prediction, n), _ngrams(reference, n)
        total = sum(pred.values())
        if total == 0:
            return 0.0
        matches = sum(min(c, ref.get(g, 0)) for g, c in pred.items())
        if matches == 0:
            misses += 1
            precision = 1 / (2**misses * total)
        else:
            precision = matches / total
        log_sum += math.log(precision) / 4
    penalty = 1.0 if len(prediction) > len(reference) else math.exp(1 - len(reference) / len(prediction))
    return penalty * math.exp(log_sum)


def _tokens(text: str) -> list[str]:
    # words for spaced scripts, characters for CJK (which has no spaces)
    out: list[str] = []
    for word in text.split():
        if any("\u4e00" <= ch <= "\u9fff" for ch in word):
            out.extend(word)
        else:
            out.append(word)
    return out


TEXT_METRICS = {
    "rouge": ("rouge-1", "rouge-2", "rouge-l"),
    "bleu": ("bleu-4",),
    "nlg": ("rouge-1", "rouge-2", "rouge-l", "bleu-4"),
}
_SCORERS = {
    "rouge-1": lambda p, r: rouge_n(p, r, 1),
    "rouge-2": lambda p, r: rouge_n(p, r, 2),
    "rouge-l": rouge_l,
    "bleu-4": bleu4,
}


def make_generation_metric(tokenizer, metric: str = "nlg"):
    """``compute_metrics`` for ``--predict_with_generate``: the scores of ``--metric`` and exact match."""
    names = TEXT_METRICS[metric]

    def compute_metrics(eval_prediction) -> dict[str, float]:
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        preds = np.where(np.asarray(eval_prediction.predictions) < 0, pad, eval_prediction.predictions)
        labels = np.where(np.asarray(eval_prediction.label_ids) < 0, pad, eval_prediction.label_ids)
        texts = tokenizer.batch_decode(preds, skip_special_tokens=True)
        refs = tokenizer.batch_decode(labels, skip_special_tokens=True)
        pairs = [(_tokens(t), _tokens(r)) for t, r in zip(texts, refs)]
        n = max(len(pairs), 1)
        out = {name: sum(_SCORERS[name](p, r) for p, r in pairs) / n for name in names}
        out["exact_match"] = sum(t.strip() == r.strip() for t, r in zip(texts, refs)) / n
        return out

    return compute_metrics
