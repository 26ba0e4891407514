"""The serving protocol: OpenAI-shaped objects that survive JSON, and the generation flags mapping."""

from __future__ import annotations

import json

import pytest

from swift.protocol import (
    ChatCompletionResponse,
    ChatCompletionResponseChoice,
    ChatCompletionResponseStreamChoice,
    ChatCompletionStreamResponse,
    ChatMessage,
    ChoiceLogprobs,
    CompletionResponse,
    CompletionStreamResponse,
    DeltaMessage,
    InferRequest,
    RequestConfig,
    TokenLogprob,
    TopLogprob,
    UsageInfo,
    cut_at_stop,
    join_stream,
    request_config_from_args,
    stop_holdback,
)


def _response() -> ChatCompletionResponse:
    logprobs = ChoiceLogprobs([TokenLogprob("Hi", -0.25, [72, 105], [TopLogprob("Hi", -0.25, [72, 105])])])
    choice = ChatCompletionResponseChoice(0, ChatMessage(content="Hi"), "stop", logprobs)
    return ChatCompletionResponse("tiny", [choice], UsageInfo(3, 2, 5))


def test_chat_response_has_openai_shape_and_round_trips_through_json():
    response = _response()
    body = json.loads(json.dumps(response.to_dict()))
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "Hi"}
    assert body["choices"][0]["logprobs"]["content"][0]["top_logprobs"][0]["token"] == "Hi"
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    assert ChatCompletionResponse.from_dict(body) == response


def test_from_dict_ignores_fields_it_does_not_know():
    body = {**_response().to_dict(), "system_fingerprint": "fp_x", "service_tier": "default"}
    assert ChatCompletionResponse.from_dict(body).choices[0].message.content == "Hi"


def test_completion_shapes_convert_from_chat():
    completion = CompletionResponse.from_chat(_response()).to_dict()
    assert completion["object"] == "text_completion" and completion["id"].startswith("cmpl-")
    assert completion["choices"][0]["text"] == "Hi"
    assert completion["choices"][0]["logprobs"] == {
        "tokens": ["Hi"],
        "token_logprobs": [-0.25],
        "top_logprobs": [{"Hi": -0.25}],
        "text_offset": [0],
    }
    chunk = ChatCompletionStreamResponse("tiny", [ChatCompletionResponseStreamChoice(0, DeltaMessage(content="H"))])
    assert chunk.to_dict()["object"] == "chat.completion.chunk"
    assert CompletionStreamResponse.from_chat(chunk).choices[0].text == "H"


def test_join_stream_concatenates_one_choice():
    chunks = [
        ChatCompletionStreamResponse(
            "m",
            [
                ChatCompletionResponseStreamChoice(0, DeltaMessage(content="He")),
                ChatCompletionResponseStreamChoice(1, DeltaMessage(content="X")),
            ],
        ),
        ChatCompletionStreamResponse("m", [ChatCompletionResponseStreamChoice(0, DeltaMessage(content="y"), "stop")]),
    ]
    assert join_stream(chunks) == ("Hey", "stop")
    assert join_stream(chunks, 1) == ("X", None)


def test_infer_request_normalises_openai_content_parts_and_system():
    request = InferRequest.from_dict(
        {
            "messages": [
                {"role": "system", "content": "be brief"},
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "hel"}, {"type": "text", "text": "lo"}],
                },
            ],
            "model": "ignored",
        }
    )
    assert request.split_system() == ("be brief", [{"role": "user", "content": "hello"}])
    assert InferRequest([{"role": "user", "content": "q"}], system="s").split_system()[0] == "s"


@pytest.mark.parametrize(
    "messages, problem",
    [
        ([], "non-empty"),
        ([{"content": "no role"}], "'role'"),
        ([{"role": "robot", "content": "x"}], "role 'robot'"),
    ],
)
def test_infer_request_rejects_malformed_messages(messages, problem):
    with pytest.raises(ValueError, match=problem):
        InferRequest(messages=messages)


def test_request_config_validates_and_accepts_a_single_stop_string():
    assert RequestConfig(stop="###").stop == ["###"]
    with pytest.raises(ValueError, match="max_tokens must be >= 0 with echo, else >= 1.*top_p must be in"):
        RequestConfig(max_tokens=0, top_p=1.5)


def test_request_config_from_generation_flags():
    from swift.arguments import InferArguments

    args = InferArguments(
        model="m",
        max_new_tokens=64,
        temperature=0,
        top_k=5,
        top_p=0.9,
        repetition_penalty=1.1,
        num_beams=2,
        stream=True,
        stop_words=["Observation:"],
        logprobs=True,
        top_logprobs=3,
    )
    config = request_config_from_args(args)
    assert config == RequestConfig(
        max_tokens=64,
        temperature=0,
        top_k=5,
        top_p=0.9,
        repetition_penalty=1.1,
        num_beams=2,
        stop=["Observation:"],
        stream=True,
        logprobs=True,
        top_logprobs=3,
    )
    assert request_config_from_args(args, stream=False).stream is False
    assert request_config_from_args(InferArguments(model="m")) == RequestConfig()


def test_with_defaults_fills_only_what_the_client_left_unset():
    server = RequestConfig(max_tokens=100, temperature=0.3, stop=["END"])
    client = RequestConfig(temperature=0.9)
    merged = client.with_defaults(server)
    assert (merged.max_tokens, merged.temperature, merged.stop) == (100, 0.9, ["END"])


def test_stop_helpers_cut_at_the_earliest_and_hold_back_prefixes():
    assert cut_at_stop("a cat sat. END more", ["END", "sat"]) == ("a cat ", True)
    assert cut_at_stop("nothing here", ["END"]) == ("nothing here", False)
    assert stop_holdback("the answer is <|im", ["<|im_end|>", "Obs"]) == len("<|im")
    assert stop_holdback("the answer is O", ["<|im_end|>", "Obs"]) == 1
    assert stop_holdback("complete", ["END"]) == 0
