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


def test_rouge_n_and_bleu4_on_known_sentences():
    from swift_transformers.train.metrics import bleu4, rouge_n

    ref = "the cat sat on the mat".split()
    assert rouge_n(ref, ref, 1) == 1.0 and rouge_n(ref, ref, 2) == 1.0 and bleu4(ref, ref) == pytest.approx(1.0)
    pred = "the cat sat on a mat".split()
    # unigrams: 5 of 6 shared both ways; bigrams: the cat, cat sat, sat on = 3 of 5
    assert rouge_n(pred, ref, 1) == pytest.approx(5 / 6)
    assert rouge_n(pred, ref, 2) == pytest.approx(3 / 5)
    # n-gram precisions 5/6, 3/5, 2/4, 1/3; same length: no brevity penalty
    assert bleu4(pred, ref) == pytest.approx((5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25)
    # no 4-gram in common: that precision counts as 1 / (2 * 3 candidates) instead of zeroing the score
    other = "a cat sat on a rug".split()
    assert bleu4(other, ref) == pytest.approx((3 / 6 * 2 / 5 * 1 / 4 * 1 / 6) ** 0.25)
    assert bleu4("the cat".split(), ref) < bleu4(pred, ref)  # short answers pay the brevity penalty


@pytest.mark.parametrize(
    ("metric", "keys"),
    [("rouge", {"rouge-1", "rouge-2", "rouge-l"}), ("bleu", {"bleu-4"}), ("nlg", {"rouge-l", "bleu-4"})],
)
def test_the_metric_flag_selects_the_generation_scores(metric, keys, tiny_model_dir):
    from types import SimpleNamespace

    import numpy as np
    from swift_transformers.train.metrics import make_generation_metric
    from transformers import AutoTokenizer

    tiny_tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    ids = np.array([tiny_tokenizer.encode("two plus three is five")])
    scores = make_generation_metric(tiny_tokenizer, metric)(SimpleNamespace(predictions=ids, label_ids=ids))
    assert keys <= set(scores) and all(scores[k] == pytest.approx(1.0) for k in keys)
    assert scores["exact_match"] == 1.0
