"""Each built-in reward on hand-written completions."""

from __future__ import annotations

import pytest

from swift.arguments.grpo import GRPOArguments
from swift.kernel import UsageError
from swift.rewards import (
    CosineReward,
    RepetitionPenalty,
    SoftOverlong,
    accuracy,
    format_reward,
)


def chat(text: str) -> list[dict]:
    return [{"role": "assistant", "content": text}]


# -- accuracy ---------------------------------------------------------------------
def test_accuracy_scores_an_equivalent_boxed_answer_one_and_a_different_one_zero():
    completions = [
        r"So the result is \boxed{\frac{1}{2}}.",
        r"So the result is \boxed{\frac{1}{3}}.",
    ]
    assert accuracy(completions, solution=["0.5", "0.5"]) == [1.0, 0.0]


def test_accuracy_reads_the_answer_block_even_for_a_bare_number():
    completions = [
        "<think>6 * 7</think><answer>42</answer>",
        "<think>6 * 7</think><answer>41</answer>",
    ]
    assert accuracy(completions, solution=["42", "42"]) == [1.0, 0.0]


def test_accuracy_ignores_unanchored_numbers_in_the_reasoning():
    # "42" appears, but never as an answer: no \boxed{}, no <answer>, no "answer is".
    assert accuracy(["first 40, then 42, hmm"], solution=["42"]) == [0.0]
    assert accuracy(["so the final answer is 42."], solution=["42"]) == [1.0]


def test_accuracy_skips_a_row_whose_gold_solution_cannot_be_parsed():
    assert accuracy([r"\boxed{1}", r"\boxed{1}"], solution=["no number here", "1"]) == [None, 1.0]


def test_accuracy_takes_chat_format_completions():
    completions = [chat(r"The answer is $\frac{3}{4}$"), chat(r"\boxed{0.7}")]
    assert accuracy(completions, solution=["0.75", "0.75"]) == [1.0, 0.0]


def test_accuracy_without_a_solution_column_says_which_column_is_missing():
    with pytest.raises(UsageError, match="column 'solution'"):
        accuracy([r"\boxed{1}"])


# -- format -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<think>a\nb</think>\n<answer>4</answer>", 1.0),
        ("<think>x</think><answer>4</answer>\n", 1.0),
        ("<answer>4</answer>", 0.0),
        ("<think>x</think><answer>4</answer> trailing words", 0.0),
        ("preamble <think>x</think><answer>4</answer>", 0.0),
        ("<think>x</think> 4", 0.0),
    ],
)
def test_format_requires_think_then_answer_and_nothing_else(text, expected):
    assert format_reward([text]) == [expected]
    assert format_reward([chat(text)]) == [expected]


# -- cosine -----------------------------------------------------------------------
def cosine_scores(lengths, answers, args=None):
    reward = CosineReward(args or GRPOArguments(cosine_max_len=100))
    completions = [rf"\boxed{{{a}}}" for a in answers]
    return reward(completions, solution=["7"] * len(answers), completion_ids=[[0] * n for n in lengths])


def test_cosine_prefers_a_shorter_correct_answer():
    short, long = cosine_scores([10, 90], [7, 7])
    assert short > long > 0


def test_cosine_punishes_a_shorter_wrong_answer_more():
    short, long = cosine_scores([10, 90], [3, 3])
    assert short < long <= 0


def test_cosine_hits_the_configured_values_at_length_zero_and_max():
    args = GRPOArguments(
        cosine_max_len=50,
        cosine_min_len_value_correct=2.0,
        cosine_max_len_value_correct=1.0,
        cosine_min_len_value_wrong=-3.0,
        cosine_max_len_value_wrong=-1.0,
    )
    right0, right_max, right_over, wrong0, wrong_max = cosine_scores([0, 50, 500, 0, 50], [7, 7, 7, 1, 1], args)
    assert (right0, right_max, right_over) == pytest.approx((2.0, 1.0, 1.0))
    assert (wrong0, wrong_max) == pytest.approx((-3.0, -1.0))


def test_cosine_max_len_defaults_to_max_completion_length():
    assert CosineReward(GRPOArguments(max_completion_length=77)).max_len == 77


def test_cosine_counts_tokens_with_a_tokenizer_when_no_ids_are_given():
    class WordTokenizer:
        def encode(self, text, add_special_tokens=False):
            return text.split()

    reward = CosineReward(GRPOArguments(cosine_max_len=20))
    padded = r"\boxed{7} " + "so " * 15
    short, long = reward([r"\boxed{7}", padded], solution=["7", "7"], tokenizer=WordTokenizer())
    assert short > long


def test_cosine_without_lengths_or_tokenizer_says_what_to_pass():
    with pytest.raises(UsageError, match="reward 'cosine'.*completion_ids"):
        CosineReward()([r"\boxed{7}"], solution=["7"])


# -- repetition -------------------------------------------------------------------
def test_repetition_penalises_repetitive_text_and_leaves_varied_text_alone():
    repetitive = "the cat sat " * 8
    varied = "a quick brown fox jumps over the lazy dog near our house today"
    penalty, none = RepetitionPenalty()([repetitive, chat(varied)])
    assert none == 0.0
    assert -1.0 < penalty < -0.8  # 24 words, 22 trigrams, 3 distinct


def test_repetition_scales_with_max_penalty_and_n():
    text = "one two one two one two"
    assert RepetitionPenalty(GRPOArguments(repetition_max_penalty=-2.0, repetition_n_grams=2))([text]) == [
        pytest.approx(-2.0 * (1 - 2 / 5))
    ]
    assert RepetitionPenalty(GRPOArguments(repetition_n_grams=10))([text]) == [0.0]  # shorter than n


def test_repetition_rejects_a_positive_max_penalty():
    with pytest.raises(UsageError, match="repetition_max_penalty must be <= 0"):
        RepetitionPenalty(GRPOArguments(repetition_max_penalty=0.5))


# -- soft_overlong ----------------------------------------------------------------
def test_soft_overlong_is_zero_below_the_window_linear_inside_and_minus_one_above():
    reward = SoftOverlong(GRPOArguments(soft_max_length=100, soft_cache_length=20))
    lengths = [10, 80, 85, 90, 100, 101, 300]
    scores = reward(["x"] * len(lengths), completion_ids=[[1] * n for n in lengths])
    assert scores == pytest.approx([0.0, 0.0, -0.25, -0.5, -1.0, -1.0, -1.0])


def test_soft_overlong_defaults_its_max_length_to_max_completion_length():
    reward = SoftOverlong(GRPOArguments(max_completion_length=40, soft_cache_length=10))
    assert reward(["x", "y"], completion_ids=[[1] * 30, [1] * 35]) == pytest.approx([0.0, -0.5])


def test_soft_overlong_needs_a_cache_length():
    with pytest.raises(UsageError, match="--soft_cache_length"):
        SoftOverlong(GRPOArguments())
    with pytest.raises(UsageError, match=r"must be in \(0, 100\]"):
        SoftOverlong(GRPOArguments(soft_max_length=100, soft_cache_length=150))
