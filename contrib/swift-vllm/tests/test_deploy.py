"""``swift deploy --infer_backend vllm``: the official ``openai`` client against a real server.

The server is swift-serve's app over the session's vLLM engine, on 127.0.0.1 with uvicorn
in a background thread: requests arrive on uvicorn's event loop, not the engine's.
"""

from __future__ import annotations

import pytest

from swift.protocol import InferRequest, RequestConfig


@pytest.fixture(scope="module")
def client(engine, serve_args):
    openai = pytest.importorskip("openai")
    from swift_serve.app import create_app
    from swift_serve.server import BackgroundServer

    with BackgroundServer(create_app(engine, serve_args)) as server:
        yield openai.OpenAI(base_url=server.url + "/v1", api_key="-", max_retries=0)


def test_models_lists_the_model_and_its_adapter(client):
    assert [m.id for m in client.models.list().data] == ["tiny-qwen3", "lora1"]


def test_chat_answers_equal_the_engine_and_streams_join_to_them(client, engine):
    messages = [{"role": "user", "content": "What is the weather today in the city?"}]
    [expected] = engine.infer([InferRequest(messages=messages)], RequestConfig(max_tokens=10, temperature=0))

    answer = client.chat.completions.create(model="tiny-qwen3", messages=messages, max_tokens=10, temperature=0)
    stream = client.chat.completions.create(
        model="tiny-qwen3", messages=messages, max_tokens=10, temperature=0, stream=True
    )
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)

    assert answer.choices[0].message.content == expected.choices[0].message.content
    assert streamed == answer.choices[0].message.content
    assert answer.usage.completion_tokens == 10 and answer.choices[0].finish_reason == "length"


def test_the_adapter_is_chosen_by_model_name_and_n_answers_come_back(client, engine):
    messages = [{"role": "user", "content": "hello"}]
    [expected] = engine.infer(
        [InferRequest(messages=messages)],
        RequestConfig(max_tokens=8, temperature=0),
        adapter="lora1",
    )

    answer = client.chat.completions.create(model="lora1", messages=messages, max_tokens=8, temperature=0)
    sampled = client.chat.completions.create(
        model="tiny-qwen3", messages=messages, max_tokens=8, temperature=1.0, n=3, seed=3
    )

    assert answer.model == "lora1"
    assert answer.choices[0].message.content == expected.choices[0].message.content
    assert [c.index for c in sampled.choices] == [0, 1, 2]


def test_completions_continue_the_raw_prompt(client, engine):
    [expected] = engine.infer(
        [InferRequest.completion("The weather today")], RequestConfig(max_tokens=8, temperature=0)
    )

    answer = client.completions.create(model="tiny-qwen3", prompt="The weather today", max_tokens=8, temperature=0)

    assert answer.choices[0].text == expected.choices[0].message.content


def test_a_named_tool_choice_starts_the_answer_with_the_call_on_vllm_too(client, engine):
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    messages = [{"role": "user", "content": "What is the weather today in the city?"}]
    free = client.chat.completions.create(model="tiny-qwen3", messages=messages, tools=[tool], max_tokens=4)
    forced = client.chat.completions.create(
        model="tiny-qwen3",
        messages=messages,
        tools=[tool],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        max_tokens=4,
        temperature=0,
    )
    prefix = '<tool_call>\n{"name": "get_weather", "arguments": '
    # the untrained model writes no valid JSON after the forced opening: text, not a 500
    assert forced.choices[0].message.content.startswith(prefix)
    assert forced.choices[0].message.tool_calls is None
    opening = engine.tokenizer.encode(prefix, add_special_tokens=False)
    assert forced.usage.prompt_tokens == free.usage.prompt_tokens + len(opening)
