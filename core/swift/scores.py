"""Text scores shared by ``swift infer --metric`` and the trainers' evaluation (pure Python)."""

from __future__ import annotations

from collections.abc import Sequence


def rouge_l(prediction: Sequence[str], reference: Sequence[str]) -> float:
    """ROUGE-L F1 between two token sequences (longest common subsequence)."""
    if not prediction or not reference:
        return float(prediction == reference)
    previous = [0] * (len(reference) + 1)
    for p in prediction:
        current = [0]
        for j, r in enumerate(reference):
            current.append(previous[j] + 1 if p == r else max(previous[j + 1], current[j]))
        previous = current
    lcs = previous[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(prediction), lcs / len(reference)
    return 2 * precision * recall / (precision + recall)
