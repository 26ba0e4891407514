"""Accuracy per ``--acc_strategy`` and the text metrics of ``--predict_with_generate``."""

from __future__ import annotations

import pytest
import torch
from swift_transformers.train.metrics import accuracy_counts, rouge_l
from swift_transformers.train.trainer import split_prompts

# labels are next tokens: the prediction at t is scored against the label at t + 1
LABELS = torch.tensor([[-100, 5, 6, -100, 8, 9]])


def test_token_accuracy_counts_trained_tokens():
    preds = torch.tensor([[5, 6, 0, 8, 9, 0]])  # scored against labels [5, 6, -100, 8, 9]

    assert accuracy_counts(preds, LABELS, "token").tolist() == [4, 4]
    assert accuracy_counts(torch.tensor([[5, 0, 0, 8, 9, 0]]), LABELS, "token").tolist() == [3, 4]


def test_sentence_accuracy_counts_whole_samples_of_a_packed_row():
    positions = torch.tensor([[0, 1, 2, 0, 1, 2]])  # two samples packed in one row
    first_wrong = torch.tensor([[5, 0, 0, 8, 9, 0]])

    assert accuracy_counts(first_wrong, LABELS, "sentence", positions).tolist() == [1, 2]
    # unpacked, the row is one sample
    assert accuracy_counts(first_wrong, LABELS, "sentence").tolist() == [0, 1]


def test_unknown_accuracy_strategy_is_refused():
    with pytest.raises(ValueError, match="sentence"):
        accuracy_counts(LABELS, LABELS, "word")


def test_rouge_l_is_one_for_equal_texts_and_partial_for_overlap():
    assert rouge_l("a b c".split(), "a b c".split()) == 1.0
    assert rouge_l("a x c".split(), "a b c".split()) == pytest.approx(2 / 3)
    assert rouge_l([], "a".split()) == 0.0


def test_split_prompts_cuts_each_row_before_its_first_response():
    input_ids = torch.tensor([[1, 2, 3, 4, 5, 0], [7, 8, 9, 10, 0, 0]])
    labels = torch.tensor([[-100, -100, 3, 4, -100, -100], [-100, 8, 9, 10, -100, -100]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]])

    prompts, refs = split_prompts(input_ids, labels, mask)

    assert [p.tolist() for p in prompts] == [[1, 2], [7]]
    assert refs.tolist() == [[3, 4, -100], [8, 9, 10]]
