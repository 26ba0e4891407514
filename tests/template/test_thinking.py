"""Reasoning models: Qwen3's enable_thinking and history stripping, DeepSeek-R1's <think> prompt."""

from __future__ import annotations

import pytest

from swift.template import IGNORE_INDEX, get_template

REASONED = [
    {"role": "user", "content": "What is 2+3?"},
    {"role": "assistant", "content": "<think>\nTwo plus three is five.\n</think>\n\nIt is 5."},
    {"role": "user", "content": "And 4+5?"},
    {"role": "assistant", "content": "<think>\nFour plus five is nine.\n</think>\n\nIt is 9."},
]


def trained_text(tokenizer, encoded) -> str:
    return tokenizer.decode([i for i, lab in zip(encoded["input_ids"], encoded["labels"]) if lab != IGNORE_INDEX])


@pytest.mark.parametrize("enable_thinking", [None, True, False])
def test_qwen3_generation_prompt_follows_enable_thinking_like_the_published_template(enable_thinking, family_tokenizer):
    tokenizer = family_tokenizer("qwen3")
    template = get_template("qwen3", tokenizer, enable_thinking=enable_thinking)
    kwargs = {} if enable_thinking is None else {"enable_thinking": enable_thinking}
    expected = tokenizer.apply_chat_template(REASONED[:3], tokenize=False, add_generation_prompt=True, **kwargs)
    prompt = template.render(REASONED[:3], add_generation_prompt=True)
    assert prompt == expected
    assert prompt.endswith("<think>\n\n</think>\n\n") == (enable_thinking is False)


def test_qwen3_drops_old_reasoning_and_keeps_the_last(family_tokenizer):
    tokenizer = family_tokenizer("qwen3")
    text = get_template("qwen3", tokenizer).render(REASONED)
    assert text == tokenizer.apply_chat_template(REASONED, tokenize=False)
    assert "Two plus three" not in text and "<|im_start|>assistant\nIt is 5.<|im_end|>" in text
    assert "<think>\nFour plus five is nine.\n</think>\n\nIt is 9.<|im_end|>" in text


def test_qwen3_writes_an_empty_think_block_on_a_last_reply_without_reasoning(family_tokenizer):
    tokenizer = family_tokenizer("qwen3")
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    text = get_template("qwen3", tokenizer).render(messages)
    assert text.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\nHello!<|im_end|>\n")
    assert text == tokenizer.apply_chat_template(messages, tokenize=False)


def test_qwen3_trains_the_reasoning_of_the_last_reply(family_tokenizer):
    tokenizer = family_tokenizer("qwen3")
    encoded = get_template("qwen3", tokenizer, loss_scale="last_round").encode({"messages": REASONED})
    assert trained_text(tokenizer, encoded) == "<think>\nFour plus five is nine.\n</think>\n\nIt is 9.<|im_end|>"


@pytest.mark.parametrize(
    ("enable_thinking", "trained"),
    [
        (None, "<think>\n\n</think>\n\nHello!<|im_end|>"),
        (False, "Hello!<|im_end|>"),  # the empty block is part of the prompt, as at inference
    ],
)
def test_qwen3_empty_think_block_is_trained_only_when_thinking_is_on(enable_thinking, trained, family_tokenizer):
    tokenizer = family_tokenizer("qwen3")
    messages = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    template = get_template("qwen3", tokenizer, enable_thinking=enable_thinking)
    encoded = template.encode({"messages": messages})
    assert trained_text(tokenizer, encoded) == trained
    assert encoded["input_ids"] == tokenizer.encode(template.render(messages), add_special_tokens=False)


def test_deepseek_r1_opens_the_think_block_in_the_generation_prompt(family_tokenizer):
    tokenizer = family_tokenizer("deepseek_r1")
    prompt = get_template("deepseek_r1", tokenizer).render(REASONED[:3], add_generation_prompt=True)
    assert prompt == tokenizer.apply_chat_template(REASONED[:3], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<｜User｜>And 4+5?<｜Assistant｜><think>\n")
    assert "Two plus three" not in prompt  # history reasoning is dropped, as published


def test_deepseek_r1_trains_the_last_reasoning_after_the_prompts_think_tag(family_tokenizer):
    tokenizer = family_tokenizer("deepseek_r1")
    template = get_template("deepseek_r1", tokenizer)
    encoded = template.encode({"messages": REASONED})
    text = tokenizer.decode(encoded["input_ids"])
    # The published template drops every reply's reasoning; training keeps the last one.
    published = tokenizer.apply_chat_template(REASONED, tokenize=False)
    assert text == published.replace(
        "<｜Assistant｜>\n\nIt is 9.",
        "<｜Assistant｜><think>\nFour plus five is nine.\n</think>\n\nIt is 9.",
    )
    assert trained_text(tokenizer, encoded) == (
        "\n\nIt is 5.<｜end▁of▁sentence｜>Four plus five is nine.\n</think>\n\nIt is 9.<｜end▁of▁sentence｜>"
    )


@pytest.mark.parametrize("enable_thinking", [None, True, False])
@pytest.mark.parametrize("turns", [2, 3, 4], ids=["answered-once", "prompt", "answered-twice"])
def test_glm4_5_think_blocks_and_nothink_follow_the_published_template(enable_thinking, turns, family_tokenizer):
    tokenizer = family_tokenizer("glm4_5")
    template = get_template("glm4_5", tokenizer, enable_thinking=enable_thinking)
    kwargs = {} if enable_thinking is None else {"enable_thinking": enable_thinking}
    messages = REASONED[:turns]
    prompt = messages[-1]["role"] == "user"
    expected = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=prompt, **kwargs)
    expected += "" if prompt else "<|user|>"  # swift trains the role token GLM stops at
    text = template.render(messages, add_generation_prompt=prompt)
    assert text == expected
    # old reasoning gives way to an empty block; the user message says /nothink when thinking is off
    assert "Two plus three" not in text or turns == 2
    assert ("/nothink" in text) == (enable_thinking is False)


def test_glm4_5_trains_the_last_reasoning_and_the_stop_token(family_tokenizer):
    tokenizer = family_tokenizer("glm4_5")
    encoded = get_template("glm4_5", tokenizer, loss_scale="last_round").encode({"messages": REASONED})
    assert trained_text(tokenizer, encoded) == "\n<think>Four plus five is nine.</think>\nIt is 9.<|user|>"
