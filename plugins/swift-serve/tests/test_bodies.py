"""How request bodies become generation settings (no server needed)."""

from __future__ import annotations

import pytest
from swift_serve.bodies import parse_chat, parse_completion
from swift_serve.errors import APIError

from swift.protocol import RequestConfig

USER = [{"role": "user", "content": "hi"}]


def test_fields_the_client_leaves_out_come_from_the_server_flags():
    defaults = RequestConfig(max_tokens=77, temperature=0.3, top_p=0.8, stop=["END"])
    parsed = parse_chat({"messages": USER, "temperature": 0.0}, defaults, 20)
    config = parsed.config
    assert (config.max_tokens, config.temperature, config.top_p, config.stop) == (
        77,
        0.0,
        0.8,
        ["END"],
    )
    assert parsed.model is None and not config.stream


def test_openai_fields_map_to_the_request_config():
    body = {
        "model": "m",
        "messages": USER,
        "max_tokens": 5,
        "max_completion_tokens": 9,
        "top_k": -1,
        "n": 2,
        "stop": "x",
        "seed": 4,
        "repetition_penalty": 1.1,
        "logprobs": True,
        "top_logprobs": 2,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    parsed = parse_chat(body, None, 20)
    config = parsed.config
    assert config.max_tokens == 9  # max_completion_tokens wins over the older max_tokens
    assert config.top_k is None and config.n == 2 and config.stop == ["x"] and config.seed == 4
    assert config.repetition_penalty == 1.1 and config.logprobs and config.top_logprobs == 2
    assert config.stream and parsed.include_usage and parsed.model == "m"


def test_completion_prompts_are_raw_requests_and_logprobs_is_a_count():
    parsed = parse_completion({"prompt": ["a", "b"], "logprobs": 3}, None, 5)
    assert [r.prompt for r in parsed.requests] == ["a", "b"]
    assert all(r.messages == [] for r in parsed.requests)
    assert parsed.config.logprobs and parsed.config.top_logprobs == 3


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": USER, "n": True}, "n"),
        ({"messages": USER, "stop": ["a", 1]}, "stop"),
        ({"messages": USER, "top_logprobs": 2}, "top_logprobs"),
        ({"messages": USER, "logprobs": True, "top_logprobs": 21}, "top_logprobs"),
        ({"messages": "hi"}, "messages"),
        ({"messages": USER, "model": 3}, "model"),
        ({"messages": USER, "repetition_penalty": 0}, "repetition_penalty"),
    ],
)
def test_bad_fields_are_400_naming_the_field(body, param):
    with pytest.raises(APIError) as info:
        parse_chat(body, None, 20)
    assert info.value.status == 400 and info.value.param == param


def test_streaming_several_prompts_is_refused():
    with pytest.raises(APIError, match="one prompt per request"):
        parse_completion({"prompt": ["a", "b"], "stream": True}, None, 5)
