"""Preference rows are encoded by swift's template: the tokens ``swift sft`` would train on."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from swift_trl.preference.data import (
    completion_template,
    encode_pair,
    encode_unpaired,
    fit_length,
    parse_label,
)

from swift.template import IGNORE_INDEX, MaxLengthError, TemplateError, get_template

ARGS = SimpleNamespace(max_length=None, truncation_strategy="left")


@pytest.fixture(scope="module")
def template(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    return completion_template(get_template("qwen3", tokenizer), ARGS)


ROW = {
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "what is 2 plus 3?"},
        {"role": "assistant", "content": "2 plus 3 equals 5."},
    ],
    "rejected_response": "I do not know.",
}


def test_a_pair_is_the_sft_encoding_split_at_the_final_answer(template):
    pair = encode_pair(template, ROW, None, "left")

    sft = template.encode(ROW)
    trained = [i for i, label in enumerate(sft["labels"]) if label != IGNORE_INDEX]
    assert pair["prompt_ids"] == sft["input_ids"][: trained[0]]
    assert pair["chosen_ids"] == sft["input_ids"][trained[0] : trained[-1] + 1]
    text = template.tokenizer.decode(pair["chosen_ids"])
    assert text.endswith("2 plus 3 equals 5.<|im_end|>")
    # the earlier answer is context, not part of what is compared
    assert "hello" in template.tokenizer.decode(pair["prompt_ids"])
    assert template.tokenizer.decode(pair["rejected_ids"]).endswith("I do not know.<|im_end|>")


def test_rows_that_cannot_be_compared_are_rejected_with_the_reason(template):
    with pytest.raises(TemplateError, match="rejected_response"):
        encode_pair(template, {"messages": ROW["messages"]}, None, "left")
    with pytest.raises(TemplateError, match="end with the chosen assistant answer"):
        encode_pair(template, {**ROW, "messages": ROW["messages"][:-1]}, None, "left")


def test_truncation_keeps_the_answers_and_drops_the_oldest_prompt_tokens():
    prompt, answers = [1, 2, 3, 4, 5], [[6, 7], [8]]
    kept, same = fit_length(prompt, answers, 5, "left")
    assert kept == [3, 4, 5] and same == answers
    kept, cut = fit_length(prompt, answers, 6, "right")
    assert kept == prompt and cut == [[6], [8]]
    with pytest.raises(MaxLengthError):
        fit_length(prompt, answers, 6, "delete")
    assert fit_length(prompt, answers, None, "delete") == (prompt, answers)


def test_kto_rows_take_a_label_or_are_unpaired_from_a_pair(template):
    labelled = encode_unpaired(template, {"messages": ROW["messages"], "label": "false"}, None, "left")
    assert [r["label"] for r in labelled] == [False]

    unpaired = encode_unpaired(template, ROW, None, "left")
    assert [r["label"] for r in unpaired] == [True, False]
    assert unpaired[0]["prompt_ids"] == unpaired[1]["prompt_ids"]
    with pytest.raises(TemplateError, match="label"):
        parse_label("maybe")
    assert parse_label(1) is True and parse_label("No") is False
