"""template_backend='jinja': the tokenizer's own chat template, with the same loss mask."""

from __future__ import annotations

import copy

import pytest

from swift.kernel import UsageError
from swift.template import TemplateError, get_template

CONVERSATIONS = [
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"}],
    [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "What is one plus one?"},
        {"role": "assistant", "content": "Two."},
        {"role": "user", "content": "And two plus two?"},
        {"role": "assistant", "content": "Four."},
    ],
    [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": '<tool_call>\n{"name": "weather"}\n</tool_call>'},
        {"role": "tool", "content": '{"temp": 20}'},
        {"role": "assistant", "content": "It is 20 degrees."},
    ],
]


@pytest.mark.parametrize("loss_scale", ["default", "last_round", "all"])
@pytest.mark.parametrize("conversation", range(len(CONVERSATIONS)))
def test_jinja_backend_gives_the_ids_and_mask_of_the_swift_backend_on_chatml(
    conversation, loss_scale, chatml_tokenizer
):
    row = {"messages": CONVERSATIONS[conversation]}
    swift = get_template("chatml", chatml_tokenizer, loss_scale=loss_scale).encode(row)
    jinja = get_template("chatml", chatml_tokenizer, loss_scale=loss_scale, template_backend="jinja").encode(row)
    assert jinja == swift
    assert any(label != -100 for label in jinja["labels"])


def test_jinja_backend_generation_prompt_is_the_tokenizers_own(chatml_tokenizer):
    messages = CONVERSATIONS[1][:4]
    template = get_template("chatml", chatml_tokenizer, template_backend="jinja")
    expected = chatml_tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    assert template.render(messages, add_generation_prompt=True) == expected
    assert template.encode_prompt(messages) == chatml_tokenizer.encode(expected, add_special_tokens=False)


REASONED = [
    {"role": "user", "content": "What is 2+3?"},
    {"role": "assistant", "content": "<think>\nTwo plus three.\n</think>\n\nIt is 5."},
    {"role": "user", "content": "And 4+5?"},
    {"role": "assistant", "content": "<think>\nFour plus five.\n</think>\n\nIt is 9."},
]


@pytest.mark.parametrize("enable_thinking", [None, False])
@pytest.mark.parametrize("messages", [REASONED, REASONED[:2], [REASONED[0], {"role": "assistant", "content": "5"}]])
def test_jinja_backend_masks_qwen3_like_the_swift_backend(messages, enable_thinking, family_tokenizer):
    # Qwen3's published template rewrites old turns (reasoning dropped) and, with
    # thinking off, puts an empty think block into the prompt: the mask must follow.
    tokenizer = family_tokenizer("qwen3")
    row = {"messages": messages}
    swift = get_template("qwen3", tokenizer, enable_thinking=enable_thinking).encode(row)
    jinja = get_template("qwen3", tokenizer, enable_thinking=enable_thinking, template_backend="jinja").encode(row)
    assert jinja == swift


def test_jinja_backend_needs_a_chat_template(chatml_tokenizer):
    bare = copy.deepcopy(chatml_tokenizer)
    bare.chat_template = None
    with pytest.raises(UsageError, match="chat_template"):
        get_template("chatml", bare, template_backend="jinja")


def test_a_chat_template_that_rewrites_earlier_turns_is_reported(chatml_tokenizer):
    odd = copy.deepcopy(chatml_tokenizer)
    # Numbers the turns from the end: every earlier turn changes when one is added.
    odd.chat_template = (
        "{% for m in messages %}{{ (messages|length - loop.index0)|string + m['role'] + ':' + m['content'] + '\n' }}"
        "{% endfor %}{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}"
    )
    template = get_template("chatml", odd, template_backend="jinja")
    with pytest.raises(TemplateError, match="prefix-stable"):
        template.encode({"messages": CONVERSATIONS[0]})


def test_errors_raised_by_a_chat_template_become_template_errors(family_tokenizer):
    # Gemma's published template insists on alternating roles.
    template = get_template("gemma", family_tokenizer("gemma"), template_backend="jinja")
    messages = [
        {"role": "user", "content": "a"},
        {"role": "user", "content": "b"},
        {"role": "assistant", "content": "c"},
    ]
    with pytest.raises(TemplateError, match="alternate"):
        template.encode({"messages": messages})


# The message part of gpt-oss's published template (openai/gpt-oss-20b, harmony format), without its
# system, developer and tool blocks: the last reply ends with <|return|> (the stop token), earlier
# ones with <|end|>, which is not one.
HARMONY = (
    "{{- '<|start|>system<|message|>Reasoning: medium<|end|>' -}}"
    "{%- for message in messages -%}"
    "{%- if message.role == 'assistant' -%}"
    "{%- if loop.last and not add_generation_prompt -%}"
    "{{- '<|start|>assistant<|channel|>final<|message|>' + message.content + '<|return|>' -}}"
    "{%- else -%}"
    "{{- '<|start|>assistant<|channel|>final<|message|>' + message.content + '<|end|>' -}}"
    "{%- endif -%}"
    "{%- elif message.role == 'user' -%}"
    "{{- '<|start|>user<|message|>' + message.content + '<|end|>' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}<|start|>assistant{%- endif -%}"
)


def test_a_template_closing_only_the_last_reply_with_its_stop_token_trains_every_reply(chatml_tokenizer):
    harmony = copy.deepcopy(chatml_tokenizer)
    harmony.add_special_tokens({"additional_special_tokens": ["<|start|>", "<|message|>", "<|end|>", "<|return|>"]})
    harmony.eos_token = "<|return|>"
    harmony.chat_template = HARMONY
    messages = [m for m in CONVERSATIONS[1] if m["role"] != "system"]
    encoded = get_template("chat_template", harmony).encode({"messages": messages})
    assert harmony.decode(encoded["input_ids"]) == harmony.apply_chat_template(messages, tokenize=False)
    trained = [i for i, label in zip(encoded["input_ids"], encoded["labels"]) if label != -100]
    # the first reply without the <|end|> that only earlier replies get; the last with its stop token
    assert harmony.decode(trained) == "<|channel|>final<|message|>Two.<|channel|>final<|message|>Four.<|return|>"
    # a template whose earlier replies lose their text is still refused
    harmony.chat_template = HARMONY.replace("message.content + '<|end|>'", "'...' + '<|end|>'")
    with pytest.raises(TemplateError, match="cannot find where this assistant turn ends"):
        get_template("chat_template", harmony).encode({"messages": messages})
