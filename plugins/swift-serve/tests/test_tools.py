"""Tool calling through ``swift deploy``: a tiny model trained to call get_weather, asked with the openai client."""

from __future__ import annotations

import json

import pytest

from swift.template.check import WEATHER_TOOL as WEATHER

ASK = {"role": "user", "content": "What is the weather in Paris?"}
ANSWER = "It is 18C in Paris."


@pytest.fixture(scope="module")
def weather_checkpoint(tiny_model_dir, tmp_path_factory) -> str:
    """The tiny model fine-tuned to call get_weather, then answer from its result."""
    from swift_sdk.tiny import train_tool_caller

    return train_tool_caller(tiny_model_dir, tmp_path_factory.mktemp("weather"), answer=ANSWER)


@pytest.fixture(scope="module")
def tool_client(weather_checkpoint, make_deploy_args):
    import openai
    from swift_serve.app import create_app
    from swift_serve.server import BackgroundServer

    from swift.pipelines.infer_engine import create_engine

    args = make_deploy_args(weather_checkpoint, template="qwen2_5", temperature=0.0, max_new_tokens=64)
    engine = create_engine(args)
    try:
        with BackgroundServer(create_app(engine, args)) as server:
            with openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=120) as client:
                yield client
    finally:
        engine.close()


def _model(client) -> str:
    return client.models.list().data[0].id


def test_the_answer_is_a_tool_call_with_name_and_arguments(tool_client):
    response = tool_client.chat.completions.create(model=_model(tool_client), messages=[ASK], tools=[WEATHER])
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    [call] = choice.message.tool_calls
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}


def test_a_streamed_answer_sends_the_call_as_delta_tool_calls(tool_client):
    stream = tool_client.chat.completions.create(
        model=_model(tool_client), messages=[ASK], tools=[WEATHER], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert "<tool_call>" not in text  # the call's text is never streamed as content
    assert finish == ["tool_calls"]
    [call] = calls
    assert call.index == 0 and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}


def test_the_tool_result_sent_back_yields_the_final_answer(tool_client):
    first = tool_client.chat.completions.create(model=_model(tool_client), messages=[ASK], tools=[WEATHER])
    call = first.choices[0].message.tool_calls[0]
    messages = [
        ASK,
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "18C"},
    ]
    final = tool_client.chat.completions.create(model=_model(tool_client), messages=messages, tools=[WEATHER])
    assert final.choices[0].finish_reason == "stop"
    assert final.choices[0].message.content == ANSWER
    assert final.choices[0].message.tool_calls is None


def test_tool_choice_none_hides_the_tools_and_a_named_choice_forces_the_call(tool_client):
    model = _model(tool_client)
    plain = tool_client.chat.completions.create(model=model, messages=[ASK], tools=[WEATHER], tool_choice="none")
    assert plain.choices[0].message.tool_calls is None
    named = tool_client.chat.completions.create(
        model=model,
        messages=[ASK],
        tools=[WEATHER],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    assert named.choices[0].message.tool_calls[0].function.name == "get_weather"
    required = tool_client.chat.completions.create(model=model, messages=[ASK], tools=[WEATHER], tool_choice="required")
    assert required.choices[0].finish_reason == "tool_calls"


def test_a_malformed_call_comes_back_as_text(client, ask):
    """The untrained tiny model, forced to start a call, writes no valid JSON: text, status 200."""
    response = client.chat.completions.create(
        model=client.models.list().data[0].id,
        messages=ask("hi"),
        tools=[WEATHER],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        max_tokens=5,
    )
    choice = response.choices[0]
    assert choice.message.tool_calls is None
    assert choice.message.content.startswith('<tool_call>\n{"name": "get_weather", "arguments": ')


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tool_choice": {"type": "function", "function": {"name": "nope"}}, "tools": [WEATHER]}, "tool_choice"),
        ({"tool_choice": "required"}, "tool_choice"),
        ({"tools": [{"type": "function", "function": {"description": "no name"}}]}, "tools"),
    ],
)
def test_bad_tool_fields_are_a_400_naming_the_field(http, body, field):
    response = http.post("/v1/chat/completions", json={"messages": [ASK], **body})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == field


def _mark_special(checkpoint: str, folder, tokens: tuple[str, ...]) -> str:
    """A copy of ``checkpoint`` whose tokenizer makes ``tokens`` special, as Mistral's and DeepSeek's do."""
    import shutil

    copy = folder / "special_markers"
    shutil.copytree(checkpoint, copy)
    tokenizer_file = copy / "tokenizer.json"
    data = json.loads(tokenizer_file.read_text())
    for added in data["added_tokens"]:
        if added["content"] in tokens:
            added["special"] = True
    tokenizer_file.write_text(json.dumps(data, ensure_ascii=False))
    config_file = copy / "tokenizer_config.json"
    config = json.loads(config_file.read_text())
    for added in config.get("added_tokens_decoder", {}).values():
        if added["content"] in tokens:
            added["special"] = True
    config_file.write_text(json.dumps(config, ensure_ascii=False))
    return str(copy)


def test_calls_written_with_special_tokens_are_read_unless_the_client_skips_them(
    weather_checkpoint, make_deploy_args, tmp_path
):
    """Decoded without special tokens, a call whose markers are special would vanish into text."""
    import openai
    from swift_serve.app import create_app
    from swift_serve.server import BackgroundServer

    from swift.pipelines.infer_engine import create_engine

    special = _mark_special(weather_checkpoint, tmp_path, ("<tool_call>", "</tool_call>"))
    args = make_deploy_args(special, template="qwen2_5", temperature=0.0, max_new_tokens=64)
    engine = create_engine(args)
    marker = engine.tokenizer.convert_tokens_to_ids("<tool_call>")
    assert engine.tokenizer.decode([marker], skip_special_tokens=True) == ""  # special now
    try:
        with BackgroundServer(create_app(engine, args)) as server:
            with openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0) as client:
                model = _model(client)
                kept = client.chat.completions.create(model=model, messages=[ASK], tools=[WEATHER])
                skipped = client.chat.completions.create(
                    model=model, messages=[ASK], tools=[WEATHER], extra_body={"skip_special_tokens": True}
                )
    finally:
        engine.close()
    assert kept.choices[0].finish_reason == "tool_calls"
    assert kept.choices[0].message.tool_calls[0].function.name == "get_weather"
    # the markers dropped: the JSON of the call is left as plain text
    assert skipped.choices[0].message.tool_calls is None
    assert '"name": "get_weather"' in skipped.choices[0].message.content
    assert "<tool_call>" not in skipped.choices[0].message.content


@pytest.mark.parametrize("template", ["mistral_nemo", "glm4"])
def test_other_native_formats_come_back_as_tool_calls(template, tiny_model_dir, make_deploy_args, tmp_path):
    """A model trained in Mistral's or GLM-4's format is served with that format's parser."""
    import openai
    from swift_serve.app import create_app
    from swift_serve.server import BackgroundServer

    from swift.pipelines.infer_engine import create_engine
    from swift_sdk.tiny import train_tool_caller

    checkpoint = train_tool_caller(tiny_model_dir, tmp_path, answer=ANSWER, template=template)
    # the tiny tokenizer spends many tokens on a Mistral call's id
    args = make_deploy_args(checkpoint, template=template, temperature=0.0, max_new_tokens=128)
    engine = create_engine(args)
    try:
        with BackgroundServer(create_app(engine, args)) as server:
            with openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0) as client:
                model = _model(client)
                first = client.chat.completions.create(model=model, messages=[ASK], tools=[WEATHER])
                [call] = first.choices[0].message.tool_calls
                result = {"role": "tool", "tool_call_id": call.id, "content": "18C"}
                messages = [ASK, {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]}, result]
                final = client.chat.completions.create(model=model, messages=messages, tools=[WEATHER])
    finally:
        engine.close()
    assert first.choices[0].finish_reason == "tool_calls"
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", {"city": "Paris"})
    # a GLM-4 reply opens with the newline its format puts after <|assistant|>, as the model
    # writes it (and as vLLM returns it); the other formats have none
    assert final.choices[0].message.content == ("\n" if template == "glm4" else "") + ANSWER
