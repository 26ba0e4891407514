"""Bad rows raise TemplateError (a ValueError) with a reason; bad options raise UsageError."""

from __future__ import annotations

import pytest

from swift.kernel import SwiftError, UsageError
from swift.template import TemplateError, TemplateMeta, get_template

U = {"role": "user", "content": "Hi"}
A = {"role": "assistant", "content": "Hello"}

BAD_ROWS = {
    "not a dict": (["Hi"], "must be a dict"),
    "no messages key": ({"conversation": [U, A]}, "no 'messages'"),
    "empty messages": ({"messages": []}, "'messages' is empty"),
    "messages not a list": ({"messages": "Hi"}, "must be a list"),
    "message not a dict": ({"messages": ["Hi", A]}, "message 0 must be a dict"),
    "unknown role": ({"messages": [{"role": "bot", "content": "x"}, A]}, "unknown role 'bot'"),
    "missing role": ({"messages": [{"content": "x"}, A]}, "unknown role None"),
    "content not a string": (
        {"messages": [{"role": "user", "content": ["x"]}, A]},
        "content must be a string, got list",
    ),
    "content missing": (
        {"messages": [{"role": "user"}, A]},
        "content must be a string, got NoneType",
    ),
    "no reply at the end": ({"messages": [U, A, U]}, "must end with an assistant message"),
    "system in the middle": (
        {"messages": [U, {"role": "system", "content": "s"}, A]},
        "only the first message",
    ),
    "only a system message": (
        {"messages": [{"role": "system", "content": "s"}]},
        "only a system message",
    ),
    "two system prompts": (
        {"system": "a", "messages": [{"role": "system", "content": "b"}, U, A]},
        "keep one",
    ),
    "system not a string": ({"system": 3, "messages": [U, A]}, "'system' must be a string"),
    "loss not a bool": ({"messages": [U, {**A, "loss": "yes"}]}, "'loss' must be"),
    "tools not JSON": ({"messages": [U, A], "tools": "[{"}, "not JSON"),
}


@pytest.mark.parametrize(("row", "reason"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_row_raises_a_template_error_that_says_why(row, reason, chatml_tokenizer):
    template = get_template("chatml", chatml_tokenizer)
    with pytest.raises(TemplateError, match=reason.replace("(", r"\(").replace("[", r"\[")) as err:
        template.encode(row)
    assert isinstance(err.value, ValueError) and isinstance(err.value, SwiftError)


def test_a_template_without_a_tool_role_rejects_tool_messages(family_tokenizer):
    row = {"messages": [U, A, {"role": "tool", "content": "{}"}, A]}
    with pytest.raises(TemplateError, match="'gemma' has no tool role"):
        get_template("gemma", family_tokenizer("gemma")).encode(row)


def test_a_template_without_a_native_tool_format_writes_tools_as_react(chatml_tokenizer):
    text = get_template("chatml", chatml_tokenizer).render([U, A], tools=[{"name": "f", "description": "Does f."}])
    assert text.startswith("<|im_start|>system\nAnswer the following questions as best you can.")
    assert "f: Does f. Parameters: {}" in text and "Action: the tool to use, one of [f]" in text


def test_a_template_without_a_system_prompt_rejects_one(chatml_tokenizer):
    bare = TemplateMeta(name="bare", user="Q: {content}\n", assistant_prefix="A: ", assistant="{content}{eos}")
    template = get_template(bare, chatml_tokenizer)
    assert template.render([U, A]) == "Q: Hi\nA: Hello<|im_end|>"
    with pytest.raises(TemplateError, match="'bare' has no system prompt"):
        template.encode({"system": "s", "messages": [U, A]})


def test_a_generation_prompt_after_a_reply_is_refused(chatml_tokenizer):
    with pytest.raises(TemplateError, match="ending with a user or tool message"):
        get_template("chatml", chatml_tokenizer).encode_prompt([U, A])


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("truncation_strategy", "middle"),
        ("loss_scale", "sometimes"),
        ("template_backend", "mako"),
        ("max_length", 0),
    ],
)
def test_an_unsupported_option_is_a_usage_error_naming_the_choices(option, value, chatml_tokenizer):
    with pytest.raises(UsageError, match=option):
        get_template("chatml", chatml_tokenizer, **{option: value})


def test_an_unknown_template_variable_is_a_usage_error(family_tokenizer):
    with pytest.raises(UsageError, match="has no variable date; it has: date_string"):
        get_template("llama3_2", family_tokenizer("llama3_2"), variables={"date": "today"})


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"user": "no placeholder"}, "user must contain {content}"),
        ({"assistant": "<|end|>"}, "assistant must contain {content}"),
        ({"system_prefix": "<sys>"}, "system_prefix must contain {system}"),
        ({"system_prefix": "{system}", "system_in_user": "{system}"}, "not both"),
        ({"stop_words": ["<|end|>"]}, "must be a tuple"),
    ],
)
def test_a_malformed_template_meta_is_refused_at_definition(fields, reason):
    with pytest.raises(ValueError, match=reason):
        TemplateMeta(name="broken", **fields)


def test_message_text_is_never_scanned_for_placeholders(chatml_tokenizer):
    text = get_template("qwen", chatml_tokenizer).render([{"role": "user", "content": "Show {system} and {eos}"}])
    assert "Show {system} and {eos}<|im_end|>" in text
