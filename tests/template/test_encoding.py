"""Encoding rows for training: the loss mask, token alignment, truncation, plain text."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from swift.template import IGNORE_INDEX, MaxLengthError, get_template

CHAT = [
    {"role": "system", "content": "Answer briefly."},
    {"role": "user", "content": "What is one plus one?"},
    {"role": "assistant", "content": "Two."},
    {"role": "user", "content": "And two plus two?"},
    {"role": "assistant", "content": "Four, because two plus two is four."},
]


def trained_spans(tokenizer, encoded) -> list[str]:
    """The decoded runs of trained tokens, in order."""
    spans, current = [], []
    for token, label in zip(encoded["input_ids"], encoded["labels"]):
        if label == IGNORE_INDEX:
            if current:
                spans.append(current)
            current = []
        else:
            assert label == token  # labels copy the ids they train on
            current.append(token)
    if current:
        spans.append(current)
    return [tokenizer.decode(s) for s in spans]


def test_default_loss_trains_every_reply_and_its_end_of_turn(chatml_tokenizer):
    encoded = get_template("chatml", chatml_tokenizer).encode({"messages": CHAT})
    assert trained_spans(chatml_tokenizer, encoded) == [
        "Two.<|im_end|>",
        "Four, because two plus two is four.<|im_end|>",
    ]


def test_last_round_trains_only_the_final_reply(chatml_tokenizer):
    encoded = get_template("chatml", chatml_tokenizer, loss_scale="last_round").encode({"messages": CHAT})
    assert trained_spans(chatml_tokenizer, encoded) == ["Four, because two plus two is four.<|im_end|>"]


def test_loss_scale_all_trains_every_token(chatml_tokenizer):
    encoded = get_template("chatml", chatml_tokenizer, loss_scale="all").encode({"messages": CHAT})
    assert encoded["labels"] == encoded["input_ids"]


def test_a_message_loss_key_overrides_loss_scale(chatml_tokenizer):
    messages = [dict(m) for m in CHAT]
    messages[2]["loss"] = True  # trained even under last_round
    messages[4]["loss"] = False  # never trained
    encoded = get_template("chatml", chatml_tokenizer, loss_scale="last_round").encode({"messages": messages})
    assert trained_spans(chatml_tokenizer, encoded) == ["Two.<|im_end|>"]


@pytest.mark.parametrize("name", ["chatml", "qwen2_5", "default", "llama3"])
def test_ids_equal_encoding_the_rendered_text_whatever_the_loss_scale(name, chatml_tokenizer):
    text = get_template(name, chatml_tokenizer).render(CHAT)
    expected = chatml_tokenizer.encode(text, add_special_tokens=False)
    for loss_scale in ("default", "last_round", "all"):
        encoded = get_template(name, chatml_tokenizer, loss_scale=loss_scale).encode({"messages": CHAT})
        assert encoded["input_ids"] == expected


def test_left_truncation_keeps_the_last_tokens_with_their_labels(chatml_tokenizer):
    full = get_template("chatml", chatml_tokenizer).encode({"messages": CHAT})
    cut = get_template("chatml", chatml_tokenizer, max_length=12).encode({"messages": CHAT})
    assert cut["input_ids"] == full["input_ids"][-12:]
    assert cut["labels"] == full["labels"][-12:]


def test_right_truncation_keeps_the_first_tokens(chatml_tokenizer):
    full = get_template("chatml", chatml_tokenizer).encode({"messages": CHAT})
    cut = get_template("chatml", chatml_tokenizer, max_length=12, truncation_strategy="right").encode(
        {"messages": CHAT}
    )
    assert cut == {"input_ids": full["input_ids"][:12], "labels": full["labels"][:12]}


def test_delete_truncation_rejects_a_row_that_is_too_long(chatml_tokenizer):
    template = get_template("chatml", chatml_tokenizer, max_length=12, truncation_strategy="delete")
    with pytest.raises(MaxLengthError, match="max_length=12") as err:
        template.encode({"messages": CHAT})
    assert err.value.length > 12
    short = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hi"}]
    assert len(get_template("chatml", chatml_tokenizer, max_length=50).encode({"messages": short})["input_ids"]) < 50


def test_a_row_of_exactly_max_length_is_kept_whole(chatml_tokenizer):
    full = get_template("chatml", chatml_tokenizer).encode({"messages": CHAT})
    n = len(full["input_ids"])
    kept = get_template("chatml", chatml_tokenizer, max_length=n, truncation_strategy="delete").encode(
        {"messages": CHAT}
    )
    assert kept == full


def test_a_long_prompt_is_cut_from_the_left_and_keeps_the_generation_prompt(chatml_tokenizer):
    template = get_template("chatml", chatml_tokenizer, max_length=8)
    ids = template.encode_prompt(CHAT[:4])
    assert len(ids) == 8
    assert chatml_tokenizer.decode(ids).endswith("<|im_start|>assistant\n")


def test_without_the_chat_template_text_has_no_chat_markup(chatml_tokenizer):
    chatml_tokenizer_bos = chatml_tokenizer.bos_token
    assert chatml_tokenizer_bos is None  # so the plain text starts with the content itself
    template = get_template("qwen", chatml_tokenizer, use_chat_template=False)
    messages = [
        {"role": "user", "content": "The capital of France is"},
        {"role": "assistant", "content": " Paris."},
    ]
    # No default system either: it belongs to the chat format.
    assert template.render(messages) == "The capital of France is Paris.<|im_end|>"
    assert template.render(messages[:1], add_generation_prompt=True) == "The capital of France is"


def test_pretraining_rows_train_on_all_text_without_a_chat_template(chatml_tokenizer):
    template = get_template("qwen", chatml_tokenizer, use_chat_template=False, loss_scale="all")
    text = "Hello world, this is a plain document."
    encoded = template.encode({"messages": [{"role": "assistant", "content": text}]})
    assert encoded["input_ids"] == chatml_tokenizer.encode(text + "<|im_end|>", add_special_tokens=False)
    assert encoded["labels"] == encoded["input_ids"]


def test_the_rows_system_wins_over_system_option_which_wins_over_the_default(chatml_tokenizer):
    user = [{"role": "user", "content": "Hi"}]
    assert "You are a helpful assistant." in get_template("qwen", chatml_tokenizer).render(user)
    custom = get_template("qwen", chatml_tokenizer, system="Be terse.")
    assert custom.render(user).startswith("<|im_start|>system\nBe terse.<|im_end|>\n")
    assert "helpful" not in custom.render(user)
    row_system = custom.render([{"role": "system", "content": "Row system."}, *user])
    assert "Row system." in row_system and "Be terse." not in row_system
    assert custom.render(user, system="Given separately.").startswith("<|im_start|>system\nGiven separately.")


def test_options_are_read_from_an_arguments_object(chatml_tokenizer):
    args = SimpleNamespace(
        template="chatml",
        max_length=5,
        truncation_strategy="delete",
        loss_scale="all",
        system=None,
        use_chat_template=True,
        template_backend="swift",
    )
    template = get_template(None, chatml_tokenizer, args)
    assert (template.name, template.max_length, template.loss_scale) == ("chatml", 5, "all")
    with pytest.raises(MaxLengthError):
        template.encode({"messages": CHAT})
    # keyword overrides win over args
    assert get_template(None, chatml_tokenizer, args, max_length=None).encode({"messages": CHAT})


def test_stop_words_are_the_templates_end_tokens_then_eos(family_tokenizer, chatml_tokenizer):
    assert get_template("chatml", chatml_tokenizer).stop_words == ("<|im_end|>",)
    assert get_template("glm4", family_tokenizer("glm4")).stop_words == (
        "<|user|>",
        "<|observation|>",
        "<|endoftext|>",
    )
    assert get_template("llama3", family_tokenizer("llama3")).stop_words == ("<|eot_id|>",)
    assert get_template("llama", family_tokenizer("llama")).stop_words == ("</s>",)


def test_decoding_a_reply_can_stop_at_the_first_stop_word(chatml_tokenizer):
    template = get_template("chatml", chatml_tokenizer)
    ids = chatml_tokenizer.encode("Four.<|im_end|>\n<|im_start|>user", add_special_tokens=False)
    assert template.decode(ids, until_stop=True) == "Four."
    assert template.decode(ids) == "Four.<|im_end|>\n<|im_start|>user"


QWEN_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather of a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]
TOOL_CHAT = [
    {"role": "user", "content": "Weather in Paris and Rome?"},
    {
        "role": "assistant",
        "content": '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n'
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Rome"}}\n</tool_call>',
    },
    {"role": "tool", "content": '{"temp": 20}'},
    {"role": "tool", "content": '{"temp": 25}'},
    {"role": "assistant", "content": "Paris 20, Rome 25."},
]


@pytest.mark.parametrize("name", ["qwen2_5", "qwen3"])
@pytest.mark.parametrize("system", [None, "Use tools."])
def test_tools_and_tool_results_render_like_the_published_qwen_template(name, system, family_tokenizer):
    tokenizer = family_tokenizer(name)
    messages = ([{"role": "system", "content": system}] if system else []) + TOOL_CHAT
    expected = tokenizer.apply_chat_template(messages, tools=QWEN_TOOLS, tokenize=False)
    template = get_template(name, tokenizer)
    assert template.render(messages, tools=QWEN_TOOLS) == expected
    # A dataset row may carry the tool list as JSON text, as ms-swift datasets do.
    import json

    encoded = template.encode({"messages": messages, "tools": json.dumps(QWEN_TOOLS)})
    assert encoded["input_ids"] == tokenizer.encode(expected, add_special_tokens=False)
    spans = trained_spans(tokenizer, encoded)
    assert spans[-1].endswith("Paris 20, Rome 25.<|im_end|>") and '"temp"' not in "".join(spans)


LLAMA_TOOL_RESULTS = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": "Let me look it up."},
    {"role": "tool", "content": "18C"},  # plain text: the published template writes "18C" (JSON)
    {"role": "assistant", "content": "It is 18C in Paris."},
]


@pytest.mark.parametrize(
    "result", ["18C", '{"temp": 18}', "  sunny \n", 'say "hi"'], ids=["text", "json-text", "padded", "quotes"]
)
def test_llama3_2_tool_results_are_json_encoded_like_the_published_template(result, family_tokenizer):
    tokenizer = family_tokenizer("llama3_2")
    messages = [*LLAMA_TOOL_RESULTS[:2], {"role": "tool", "content": result}, LLAMA_TOOL_RESULTS[3]]
    expected = tokenizer.apply_chat_template(messages, tokenize=False, date_string="26 Jul 2024")
    assert get_template("llama3_2", tokenizer).render(messages) == expected


def test_llama3_tool_results_are_trimmed_like_every_message_of_the_published_template(family_tokenizer):
    tokenizer = family_tokenizer("llama3")
    messages = [*LLAMA_TOOL_RESULTS[:2], {"role": "tool", "content": "  18C\n"}, LLAMA_TOOL_RESULTS[3]]
    expected = tokenizer.apply_chat_template(messages, tokenize=False)
    assert get_template("llama3", tokenizer).render(messages) == expected
