"""How request bodies become generation settings (no server needed)."""

from __future__ import annotations

import pytest
from swift_serve.bodies import RequestRules, parse_chat, parse_completion
from swift_serve.errors import APIError

from swift.protocol import RequestConfig

USER = [{"role": "user", "content": "hi"}]


def test_fields_the_client_leaves_out_come_from_the_server_flags():
    defaults = RequestConfig(max_tokens=77, temperature=0.3, top_p=0.8, stop=["END"])
    parsed = parse_chat({"messages": USER, "temperature": 0.0}, RequestRules(defaults))
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
    parsed = parse_chat(body, RequestRules())
    config = parsed.config
    assert config.max_tokens == 9  # max_completion_tokens wins over the older max_tokens
    assert config.top_k is None and config.n == 2 and config.stop == ["x"] and config.seed == 4
    assert config.repetition_penalty == 1.1 and config.logprobs and config.top_logprobs == 2
    assert config.stream and parsed.include_usage and parsed.model == "m"


def test_completion_prompts_are_raw_requests_and_logprobs_is_a_count():
    parsed = parse_completion({"prompt": ["a", "b"], "logprobs": 3}, RequestRules(max_logprobs=5))
    assert [r.prompt for r in parsed.requests] == ["a", "b"]
    assert all(r.messages == [] for r in parsed.requests)
    assert parsed.config.logprobs and parsed.config.top_logprobs == 3


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": USER, "n": True}, "n"),
        ({"messages": USER, "stop": ["a", 1]}, "stop.1"),
        ({"messages": USER, "top_logprobs": 2}, "top_logprobs"),
        ({"messages": USER, "logprobs": True, "top_logprobs": 21}, "top_logprobs"),
        ({"messages": "hi"}, "messages"),
        ({"messages": USER, "model": 3}, "model"),
        ({"messages": USER, "repetition_penalty": 0}, "repetition_penalty"),
        ({"messages": USER, "temprature": 0.5}, "temprature"),
        ({"messages": USER, "seed": 2**64}, "seed"),
        ({"messages": USER, "n": 129}, "n"),
        ({"messages": USER, "presence_penalty": 2.5}, "presence_penalty"),
        ({"messages": USER, "logit_bias": {"abc": 1}}, "logit_bias"),
        ({"messages": USER, "response_format": {"type": "json_object"}}, "response_format"),
        ({"messages": USER, "tool_choice": "required"}, "tool_choice"),
        (
            {"messages": [{"role": "user", "content": [{"type": "input_file", "input_file": {"data": "x"}}]}]},
            "messages.0.content.0",
        ),
        ({"messages": [{"role": "user", "content": "hi", "colour": "red"}]}, "messages.0.colour"),
    ],
)
def test_bad_fields_are_400_naming_the_field(body, param):
    with pytest.raises(APIError) as info:
        parse_chat(body, RequestRules())
    assert info.value.status == 400 and info.value.param == param


def test_streaming_several_prompts_is_refused():
    with pytest.raises(APIError, match="one prompt per request"):
        parse_completion({"prompt": ["a", "b"], "stream": True}, RequestRules())


def test_an_unknown_field_names_the_closest_known_one():
    with pytest.raises(APIError, match="did you mean 'temperature'"):
        parse_chat({"messages": USER, "temprature": 0.5}, RequestRules())


def test_unserved_openai_features_say_so():
    with pytest.raises(APIError, match="structured output"):
        parse_chat({"messages": USER, "response_format": {"type": "json_schema", "json_schema": {}}}, RequestRules())
    with pytest.raises(APIError, match="'echo' is not supported with"):
        parse_completion({"prompt": "a", "echo": True, "stream": True}, RequestRules())


def test_penalties_and_logit_bias_reach_the_config_and_text_format_is_accepted():
    body = {
        "messages": USER,
        "presence_penalty": 0.5,
        "frequency_penalty": -1,
        "logit_bias": {"17": -100},
        "response_format": {"type": "text"},
        "tool_choice": "auto",
        "user": "u1",
    }
    config = parse_chat(body, RequestRules()).config
    assert (config.presence_penalty, config.frequency_penalty, config.logit_bias) == (0.5, -1, {17: -100.0})


@pytest.mark.parametrize(
    ("body", "rules", "message"),
    [
        ({"messages": USER * 3}, RequestRules(max_messages=2), "at most 2 (--max_messages)"),
        ({"messages": USER, "n": 3}, RequestRules(max_n=2), "at most 2 answers (--max_n)"),
        ({"messages": USER, "max_tokens": 5000}, RequestRules(context=4096), "context of 4096 tokens"),
    ],
)
def test_operator_limits_are_400_naming_the_flag(body, rules, message):
    with pytest.raises(APIError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        parse_chat(body, rules)
    assert info.value.status == 400


def test_completion_prompt_limits_count_prompts_times_n():
    with pytest.raises(APIError, match="--max_prompts"):
        parse_completion({"prompt": ["a"] * 5}, RequestRules(max_prompts=4))
    with pytest.raises(APIError, match="ask for 6 answers"):
        parse_completion({"prompt": ["a"] * 3, "n": 2}, RequestRules(max_prompts=4))


def test_the_rollout_models_carry_every_field_of_the_protocol_objects():
    # the GRPO client sends RequestConfig.to_dict() and InferRequest.to_dict(): a field added to the
    # protocol and not to the models would make every /infer a 400
    import dataclasses

    from swift_serve.schemas import RolloutRequest, RolloutRequestConfig

    from swift.protocol import InferRequest

    assert set(RolloutRequestConfig.model_fields) == {f.name for f in dataclasses.fields(RequestConfig)}
    assert set(RolloutRequest.model_fields) == {f.name for f in dataclasses.fields(InferRequest)}
