"""Tool use in templates: data shapes, native formats against the published templates, --tools_prompt."""

from __future__ import annotations

import json
import re

import pytest

from swift.template import TemplateError, get_template
from swift.template.check import WEATHER_TOOL
from swift.template.conversation import ToolCall

WEATHER = WEATHER_TOOL


def _call(city: str, call_id: str = "call_1") -> dict:
    return {"id": call_id, "type": "function", "function": {"name": "get_weather", "arguments": {"city": city}}}


# OpenAI-style: a call without content, two parallel calls after text, results, a final answer
OPENAI_ROWS = {
    "one call": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [_call("Paris")]},
        {"role": "tool", "content": "18C"},
        {"role": "assistant", "content": "It is 18C in Paris."},
    ],
    "text and two calls": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Paris or Rome, which is warmer?"},
        {"role": "assistant", "content": "Let me check both.", "tool_calls": [_call("Paris"), _call("Rome", "c2")]},
        {"role": "tool", "content": '{"temp": 18}'},
        {"role": "tool", "content": '{"temp": 25}'},
        {"role": "assistant", "content": "Rome."},
    ],
}


@pytest.mark.parametrize("name", ["qwen2_5", "qwen3"])
@pytest.mark.parametrize("row", OPENAI_ROWS, ids=list(OPENAI_ROWS))
def test_hermes_tool_calls_render_like_the_published_qwen_templates(name, row, family_tokenizer):
    tokenizer = family_tokenizer(name)
    messages = OPENAI_ROWS[row]
    expected = tokenizer.apply_chat_template(messages, tools=[WEATHER], tokenize=False)
    template = get_template(name, tokenizer)
    assert template.render(messages, tools=[WEATHER]) == expected
    # and the prompt of the second round (after the results) as well
    prompt = messages[:-1]
    published = tokenizer.apply_chat_template(prompt, tools=[WEATHER], tokenize=False, add_generation_prompt=True)
    assert template.render(prompt, True, tools=[WEATHER]) == published


LLAMA_ROWS = {
    "one call": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [_call("Paris")]},
        {"role": "tool", "content": "18C"},
        {"role": "assistant", "content": "It is 18C in Paris."},
    ],
    "system and a structured result": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": " Weather in Rome?\n"},
        {"role": "assistant", "content": "", "tool_calls": [_call("Rome")]},
        {"role": "tool", "content": '{"temp": 25}'},
        {"role": "assistant", "content": "25C."},
    ],
}


@pytest.mark.parametrize("row", LLAMA_ROWS, ids=list(LLAMA_ROWS))
def test_llama3_2_json_tool_calls_render_like_the_published_template(row, family_tokenizer):
    tokenizer = family_tokenizer("llama3_2")
    messages = LLAMA_ROWS[row]
    template = get_template("llama3_2", tokenizer)

    def published(msgs, gen):
        return tokenizer.apply_chat_template(
            msgs, tools=[WEATHER], tokenize=False, add_generation_prompt=gen, date_string="26 Jul 2024"
        )

    assert template.render(messages, tools=[WEATHER]) == published(messages, False)
    assert template.render(messages[:-1], True, tools=[WEATHER]) == published(messages[:-1], True)
    # the reply is read back as the call it was trained as
    k = next(i for i, m in enumerate(messages) if m.get("tool_calls"))
    encoded = template.encode({"messages": messages[: k + 1], "tools": [WEATHER]})
    trained = tokenizer.decode([i for i, label in zip(encoded["input_ids"], encoded["labels"]) if label != -100])
    content, [call] = template.parse_tool_calls(trained.removesuffix("<|eot_id|>"))
    assert (call.name, call.arguments) == ("get_weather", messages[k]["tool_calls"][0]["function"]["arguments"])


def _string_call(city: str) -> dict:
    # DeepSeek's published template concatenates the arguments: they must be JSON text
    return {"type": "function", "function": {"name": "get_weather", "arguments": json.dumps({"city": city})}}


DEEPSEEK_ROWS = {
    "one call": [
        {"role": "user", "content": "Weather in Paris?"},
        # "" not None: transformers drops a None content and the published template then fails
        {"role": "assistant", "content": "", "tool_calls": [_string_call("Paris")]},
        {"role": "tool", "content": "18C"},
        {"role": "assistant", "content": "It is 18C in Paris."},
    ],
    "text and two calls": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Paris or Rome?"},
        {"role": "assistant", "content": "Checking.", "tool_calls": [_string_call("Paris"), _string_call("Rome")]},
        {"role": "tool", "content": "18C"},
        {"role": "tool", "content": "25C"},
        {"role": "assistant", "content": "Rome."},
    ],
}


@pytest.mark.parametrize("row", DEEPSEEK_ROWS, ids=list(DEEPSEEK_ROWS))
def test_deepseek_r1_tool_calls_render_like_the_published_template(row, family_tokenizer):
    tokenizer = family_tokenizer("deepseek_r1")
    messages = DEEPSEEK_ROWS[row]
    template = get_template("deepseek_r1", tokenizer)
    for conversation, gen in ((messages, False), (messages[:-1], True), (messages[:-1], False)):
        published = tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=gen)
        assert template.render(conversation, gen, tools=[WEATHER]) == published
    # the call message is trained, the results are not, and the answer after them is
    encoded = template.encode({"messages": messages, "tools": [WEATHER]})
    trained = tokenizer.decode([i for i, label in zip(encoded["input_ids"], encoded["labels"]) if label != -100])
    assert "<｜tool▁calls▁begin｜>" in trained and "<｜tool▁output▁begin｜>" not in trained
    assert trained.endswith(messages[-1]["content"] + "<｜end▁of▁sentence｜>")


def _mistral_call(city: str, call_id: str) -> dict:
    return {"id": call_id, "type": "function", "function": {"name": "get_weather", "arguments": {"city": city}}}


MISTRAL_ROWS = {
    "one call": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [_mistral_call("Paris", "a1b2c3d4e")]},
        {"role": "tool", "tool_call_id": "a1b2c3d4e", "content": "18C"},
        {"role": "assistant", "content": "It is 18C in Paris."},
    ],
    "two rounds, two calls": [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi, how can I help?"},
        {"role": "user", "content": "Paris or Rome, which is warmer?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [_mistral_call("Paris", "aaaaaaaa1"), _mistral_call("Rome", "bbbbbbbb2")],
        },
        {"role": "tool", "tool_call_id": "aaaaaaaa1", "content": '{"temp": 18}'},
        {"role": "tool", "tool_call_id": "bbbbbbbb2", "content": '{"temp": 25}'},
        {"role": "assistant", "content": "Rome."},
    ],
}


@pytest.mark.parametrize("row", MISTRAL_ROWS, ids=list(MISTRAL_ROWS))
def test_mistral_nemo_tool_calls_render_like_the_published_template(row, family_tokenizer):
    tokenizer = family_tokenizer("mistral_nemo")
    messages = MISTRAL_ROWS[row]
    template = get_template("mistral_nemo", tokenizer)
    for conversation in (messages, messages[:-1]):
        published = tokenizer.apply_chat_template(conversation, tools=[WEATHER], tokenize=False)
        assert template.render(conversation, tools=[WEATHER]) == published
    # a system prompt goes with the last user message, after the tool list (prompt side)
    asked = [{"role": "system", "content": "Be brief."}, *messages[:1]]
    published = tokenizer.apply_chat_template(asked, tools=[WEATHER], tokenize=False, add_generation_prompt=True)
    assert template.render(asked, True, tools=[WEATHER]) == published
    assert published.startswith("<s>[AVAILABLE_TOOLS][") and "[INST]Be brief.\n\n" in published
    # the calls (and their EOS) are trained, the tool list and the results are not
    encoded = template.encode({"messages": messages, "tools": [WEATHER]})
    trained = tokenizer.decode([i for i, label in zip(encoded["input_ids"], encoded["labels"]) if label != -100])
    assert "[TOOL_CALLS][" in trained and "[TOOL_RESULTS]" not in trained and "AVAILABLE_TOOLS" not in trained


def test_mistral_calls_without_ids_get_one_id_shared_by_the_call_and_its_result(family_tokenizer):
    template = get_template("mistral_nemo", family_tokenizer("mistral_nemo"))
    messages = [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": None, "tool_calls": [_call("Paris"), _call("Rome", "c2")]},
        {"role": "tool", "content": "18C"},
        {"role": "tool", "content": "25C"},
    ]
    text = template.render(messages, tools=[WEATHER])
    call_ids = re.findall(r'"id": "(\w+)"', text)
    result_ids = re.findall(r'"call_id": "(\w+)"', text)
    assert len(call_ids) == 2 and call_ids == result_ids and len(set(call_ids)) == 2
    assert all(len(i) == 9 and i.isalnum() for i in call_ids)
    content, calls = template.parse_tool_calls(text[text.index("[TOOL_CALLS]") : text.index("</s>")])
    assert [(c.name, c.arguments) for c in calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_weather", {"city": "Rome"}),
    ]


def test_a_mistral_checkpoint_with_nemos_template_gets_mistral_tool_calling(family_tokenizer):
    from swift.template import model_template

    tokenizer = family_tokenizer("mistral_nemo")
    name = model_template(None, "mistral", tokenizer)
    assert name == "mistral_nemo"
    assert get_template(name, tokenizer).agent_template.name == "mistral"


GLM4_ROWS = {
    "one call": OPENAI_ROWS["one call"],
    "system, text and two calls": OPENAI_ROWS["text and two calls"],
}


def _glm4_form(messages: list[dict]) -> list[dict]:
    """An OpenAI conversation in GLM-4's own message form, which its published template reads.

    The tools are a system item of their own; a call is an assistant item with the function
    name in ``metadata`` and the JSON arguments as ``content``; results are ``observation`` items.
    """
    out: list[dict] = [{"role": "system", "content": "", "tools": [WEATHER]}]
    for m in messages:
        if m["role"] == "tool":
            out.append({"role": "observation", "content": m["content"]})
            continue
        if m.get("content"):
            out.append({"role": m["role"], "content": m["content"]})
        for call in m.get("tool_calls") or ():
            function = call["function"]
            out.append(
                {"role": "assistant", "metadata": function["name"], "content": json.dumps(function["arguments"])}
            )
    return out


@pytest.mark.parametrize("row", GLM4_ROWS, ids=list(GLM4_ROWS))
def test_glm4_tool_calls_render_like_the_published_template(row, family_tokenizer):
    tokenizer = family_tokenizer("glm4")
    messages = GLM4_ROWS[row]
    template = get_template("glm4", tokenizer)
    published = tokenizer.apply_chat_template(_glm4_form(messages), tokenize=False)
    # swift trains GLM-4's <|user|> after the final reply (docs/templates.md)
    assert template.render(messages, tools=[WEATHER]) == published + "<|user|>"
    prompt = _glm4_form(messages[:-1])
    published = tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)
    assert template.render(messages[:-1], True, tools=[WEATHER]) == published
    # the calls are trained as GLM-4 writes them, and read back
    k = next(i for i, m in enumerate(messages) if m.get("tool_calls"))
    encoded = template.encode({"messages": messages[: k + 1], "tools": [WEATHER]})
    trained = tokenizer.decode([i for i, label in zip(encoded["input_ids"], encoded["labels"]) if label != -100])
    content, calls = template.parse_tool_calls(trained.removesuffix("<|user|>"))
    assert [(c.name, c.arguments) for c in calls] == [
        (c["function"]["name"], c["function"]["arguments"]) for c in messages[k]["tool_calls"]
    ]
    assert content == (messages[k]["content"] or "")


GLM4_5_ROWS = {
    **OPENAI_ROWS,
    "reasoning, calls and answer": [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "<think>Ask the tool.</think>", "tool_calls": [_call("Paris")]},
        {"role": "tool", "content": "18C"},
        {"role": "assistant", "content": "<think>\nIt answered 18C.\n</think>\n\nIt is 18C in Paris."},
    ],
}


@pytest.mark.parametrize("row", GLM4_5_ROWS, ids=list(GLM4_5_ROWS))
def test_glm4_5_tool_calls_render_like_the_published_template(row, family_tokenizer):
    tokenizer = family_tokenizer("glm4_5")
    messages = GLM4_5_ROWS[row]
    template = get_template("glm4_5", tokenizer)
    published = tokenizer.apply_chat_template(messages, tools=[WEATHER], tokenize=False)
    # swift trains <|user|> after the final reply, as for GLM-4 (docs/templates.md)
    assert template.render(messages, tools=[WEATHER]) == published + "<|user|>"
    prompt = messages[:-1]
    published = tokenizer.apply_chat_template(prompt, tools=[WEATHER], tokenize=False, add_generation_prompt=True)
    assert template.render(prompt, True, tools=[WEATHER]) == published
    # the calls are trained as GLM-4.5 writes them, and read back from the generated text
    k = next(i for i, m in enumerate(messages) if m.get("tool_calls"))
    encoded = template.encode({"messages": messages[: k + 1], "tools": [WEATHER]})
    trained = tokenizer.decode([i for i, label in zip(encoded["input_ids"], encoded["labels"]) if label != -100])
    answer = trained.removesuffix("<|user|>").split("</think>")[-1]
    content, calls = template.parse_tool_calls(answer)
    assert [(c.name, c.arguments) for c in calls] == [
        (c["function"]["name"], c["function"]["arguments"]) for c in messages[k]["tool_calls"]
    ]
    assert content == (messages[k]["content"] or "").split("</think>")[-1]


def test_llama3_2_makes_one_call_per_turn(family_tokenizer):
    two = [
        {"role": "user", "content": "Paris and Rome?"},
        {"role": "assistant", "content": None, "tool_calls": [_call("Paris"), _call("Rome")]},
    ]
    with pytest.raises(TemplateError, match="one call per turn"):
        get_template("llama3_2", family_tokenizer("llama3_2")).encode({"messages": two, "tools": [WEATHER]})


def test_the_calls_are_trained_and_the_results_are_not(family_tokenizer):
    tokenizer = family_tokenizer("qwen2_5")
    encoded = get_template("qwen2_5", tokenizer).encode({"messages": OPENAI_ROWS["one call"], "tools": [WEATHER]})
    trained = tokenizer.decode([i for i, label in zip(encoded["input_ids"], encoded["labels"]) if label != -100])
    assert trained == (
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>'
        "It is 18C in Paris.<|im_end|>"
    )


def test_ms_swift_agent_rows_encode_like_the_openai_form(family_tokenizer):
    template = get_template("qwen2_5", family_tokenizer("qwen2_5"))
    ms_swift = [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "tool_call", "content": json.dumps({"name": "get_weather", "arguments": {"city": "Paris"}})},
        {"role": "tool_response", "content": "18C"},
        {"role": "assistant", "content": "It is 18C in Paris."},
    ]
    tools = json.dumps([WEATHER])  # ms-swift stores the tool list as JSON text
    assert template.encode({"messages": ms_swift, "tools": tools}) == template.encode(
        {"messages": OPENAI_ROWS["one call"], "tools": [WEATHER]}
    )
    # arguments as OpenAI's JSON string are the same call
    as_string = [dict(m) for m in OPENAI_ROWS["one call"]]
    as_string[1] = {
        "role": "assistant",
        "content": None,
        "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}],
    }
    assert template.render(as_string, tools=[WEATHER]) == template.render(OPENAI_ROWS["one call"], tools=[WEATHER])


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ({"role": "tool_call", "content": "{not json"}, "not JSON"),
        ({"role": "tool_call", "content": '{"arguments": {}}'}, "no function name"),
        ({"role": "assistant", "content": None, "tool_calls": "[{"}, "not JSON"),
        ({"role": "assistant", "content": "", "tool_calls": [{"name": "f", "arguments": "{x"}]}, "arguments"),
        ({"role": "user", "content": "x", "tool_calls": [{"name": "f", "arguments": {}}]}, "only assistant"),
    ],
)
def test_malformed_tool_json_is_a_bad_row(message, reason, chatml_tokenizer):
    row = {"messages": [{"role": "user", "content": "q"}, message, {"role": "assistant", "content": "a"}]}
    with pytest.raises(TemplateError, match=reason):
        get_template("chatml", chatml_tokenizer).encode(row)


def _trained_text(tokenizer, encoded) -> str:
    return tokenizer.decode([i for i, label in zip(encoded["input_ids"], encoded["labels"]) if label != -100])


def test_tools_prompt_decides_the_prompt_and_the_trained_text(chatml_tokenizer):
    row = {"messages": OPENAI_ROWS["one call"], "tools": [WEATHER]}
    react = get_template("chatml", chatml_tokenizer, tools_prompt="react_en")
    toolbench = get_template("chatml", chatml_tokenizer, tools_prompt="toolbench")
    react_ids, bench_ids = react.encode(row), toolbench.encode(row)
    assert react_ids["input_ids"] != bench_ids["input_ids"]
    text = react.render(row["messages"], tools=[WEATHER])
    # ReAct: one assistant turn; the observation sits inside it and is not trained
    assert (
        '<|im_start|>assistant\nAction: get_weather\nAction Input: {"city": "Paris"}\nObservation: 18C\n'
        "It is 18C in Paris.<|im_end|>"
    ) in text
    assert _trained_text(chatml_tokenizer, react_ids) == (
        'Action: get_weather\nAction Input: {"city": "Paris"}\nIt is 18C in Paris.<|im_end|>'
    )
    # ToolBench: the call ends the turn; the result comes back in the tool turn
    bench = toolbench.render(row["messages"], tools=[WEATHER])
    assert 'Action: get_weather\nAction Input: {"city": "Paris"}<|im_end|>\n<|im_start|>tool\n18C<|im_end|>' in bench
    assert "Available functions:" in bench and "Answer the following questions" not in bench


def test_a_react_prompt_after_a_result_continues_the_assistant_turn(chatml_tokenizer):
    template = get_template("chatml", chatml_tokenizer, tools_prompt="react_en")
    prompt = template.render(OPENAI_ROWS["one call"][:-1], True, tools=[WEATHER])
    assert prompt.endswith(
        '<|im_start|>assistant\nAction: get_weather\nAction Input: {"city": "Paris"}\nObservation: 18C\n'
    )
    assert "Observation:" in template.stop_words


def test_tools_prompt_overrides_the_native_format(family_tokenizer):
    template = get_template("qwen2_5", family_tokenizer("qwen2_5"), tools_prompt="react_en")
    text = template.render(OPENAI_ROWS["one call"], tools=[WEATHER])
    assert "<tool_call>" not in text and "# Tools" not in text and "Action: get_weather" in text


def test_a_family_without_a_tool_role_gets_results_as_a_user_turn(family_tokenizer):
    template = get_template("gemma", family_tokenizer("gemma"), tools_prompt="toolbench")
    text = template.render(OPENAI_ROWS["one call"], tools=[WEATHER])
    assert "<start_of_turn>user\n18C<end_of_turn>" in text


def test_an_unknown_tools_prompt_lists_the_formats(chatml_tokenizer):
    from swift.kernel import UnknownNameError

    with pytest.raises(UnknownNameError, match="react_en") as err:
        get_template("chatml", chatml_tokenizer, tools_prompt="react_eng")
    assert "toolbench" in str(err.value)


CALLS = [ToolCall("get_weather", {"city": "Paris"}), ToolCall("add", {"a": 1, "b": [2, 3]})]


@pytest.mark.parametrize(
    "name", ["hermes", "react_en", "react_zh", "toolbench", "qwen", "glm4", "glm4_5", "llama3", "deepseek", "mistral"]
)
def test_every_format_reads_back_the_calls_it_writes(name):
    from swift.contracts import load_agent_template

    agent = load_agent_template(name)
    single = name in ("glm4", "llama3")  # one call per turn, and the reply is only the call
    calls = CALLS[:1] if single else CALLS
    content, parsed = agent.parse_calls("Let me look.\n" * (not single) + agent.format_calls(calls))
    assert [(c.name, c.arguments) for c in parsed] == [(c.name, c.arguments) for c in calls]
    assert content == ("" if single else "Let me look.")
    # a reply without a well-formed call is plain text
    broken = "</tool_call>" if name == "glm4_5" else "}"  # GLM-4.5 writes arguments as XML, not JSON
    for text in ("The weather is fine.", agent.format_calls(calls).replace(broken, "", 1)):
        assert agent.parse_calls(text) == (text, [])


def test_the_jinja_backend_trains_tool_rows_with_the_models_own_template(family_tokenizer):
    tokenizer = family_tokenizer("qwen2_5")
    row = {"messages": OPENAI_ROWS["one call"], "tools": [WEATHER]}
    jinja = get_template("qwen2_5", tokenizer, template_backend="jinja").encode(row)
    swift = get_template("qwen2_5", tokenizer).encode(row)
    assert jinja == swift  # same ids, same trained tokens (calls and answer, not the result)
