"""Rows of an echo scoring pass: prompts sharing a context are packed, each keeps its own positions."""

from __future__ import annotations

from swift_transformers.engine import scoring

CONTEXT = list(range(100, 120))  # 20 tokens


def test_the_choices_of_a_question_share_one_row_and_find_their_tokens_in_it():
    prompts = [CONTEXT + [1, 2], CONTEXT + [3], CONTEXT + [4, 5, 6], CONTEXT]

    [row] = scoring.pack(prompts)

    assert row.shared == 20 and row.width == 20 + 2 + 1 + 3
    assert sorted(index for index, _ in row.members) == [0, 1, 2, 3]
    for index, start in row.members:
        prompt = prompts[index]
        assert [row.tokens[row.place(start, k)] for k in range(len(prompt))] == prompt
        assert [row.positions[row.place(start, k)] for k in range(len(prompt))] == list(range(len(prompt)))


def test_prompts_sharing_little_stay_in_rows_of_their_own():
    short = [[1, 2, 3, 9], [1, 2, 3, 8]]  # 3 shared tokens: below MIN_SHARED
    mostly_different = [CONTEXT[:8] + list(range(30)), CONTEXT[:8] + list(range(40, 70))]  # 8 of 38 shared
    for prompts in (short, mostly_different):
        rows = scoring.pack(prompts)
        assert len(rows) == 2 and all(row.tokens in prompts for row in rows)


def test_groups_are_capped_and_every_prompt_is_scored_once():
    prompts = [CONTEXT + [i] for i in range(40)] + [[7] * 30]

    rows = scoring.pack(prompts)

    members = [index for row in rows for index, _ in row.members]
    assert sorted(members) == list(range(41))
    assert max(len(row.members) for row in rows) == scoring.MAX_GROUP
    assert scoring.unpacked(prompts)[3].tokens == prompts[3]
