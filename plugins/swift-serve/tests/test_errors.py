"""Malformed requests get an OpenAI-shaped 4xx with a message, and the server keeps serving."""

from __future__ import annotations

import pytest

CHAT = "/v1/chat/completions"
USER = [{"role": "user", "content": "hi"}]
# Far more tokens than the tiny model's 4096 positions.
LONG_TEXT = " ".join(["one two three four five six seven eight nine ten"] * 1200)


def _post(http, path, **kwargs):
    return http.post(path, **kwargs)


CASES = [
    pytest.param(CHAT, {"content": b"{not json"}, 400, "not valid JSON", id="bad-json"),
    pytest.param(CHAT, {"content": b"[1, 2]"}, 400, "JSON object", id="not-an-object"),
    pytest.param(CHAT, {"json": {"model": "tiny-qwen3"}}, 400, "'messages' is required", id="no-messages"),
    pytest.param(
        CHAT,
        {"json": {"model": "tiny-qwen3", "messages": []}},
        400,
        "'messages': List should have at least 1 item",
        id="empty-messages",
    ),
    pytest.param(
        CHAT,
        {"json": {"model": "tiny-qwen3", "messages": [{"role": "robot", "content": "x"}]}},
        400,
        "'messages.0.role': Input should be 'system'",
        id="bad-role",
    ),
    pytest.param(
        CHAT,
        {"json": {"model": "tiny-qwen3", "messages": [{"role": "assistant", "content": "x"}]}},
        400,
        "cannot encode",
        id="ends-with-assistant",
    ),
    pytest.param(
        CHAT,
        {"json": {"model": "nope", "messages": USER}},
        404,
        "Available models: tiny-qwen3, lora1",
        id="unknown-model",
    ),
    pytest.param(
        CHAT,
        {"json": {"model": "tiny-qwen3", "messages": USER, "temperature": "hot"}},
        400,
        "'temperature': Input should be a valid number",
        id="bad-type",
    ),
    pytest.param(
        CHAT,
        {"json": {"model": "tiny-qwen3", "messages": USER, "max_tokens": 0}},
        400,
        "'max_tokens': Input should be greater than or equal to 1",
        id="bad-max-tokens",
    ),
    pytest.param(
        CHAT,
        {
            "json": {
                "model": "tiny-qwen3",
                "messages": USER,
                "stream_options": {"include_usage": True},
            }
        },
        400,
        "only allowed with",
        id="stream-options-without-stream",
    ),
    pytest.param(
        CHAT,
        {
            "json": {
                "model": "tiny-qwen3",
                "messages": [{"role": "user", "content": LONG_TEXT}],
                "max_tokens": 4,
            }
        },
        400,
        "at most 4096",
        id="too-long-chat",
    ),
    pytest.param(
        "/v1/completions",
        {"json": {"model": "tiny-qwen3", "prompt": LONG_TEXT, "max_tokens": 4, "stream": True}},
        400,
        "at most 4096",
        id="too-long-stream",
    ),
    pytest.param(
        "/v1/completions",
        {"json": {"model": "tiny-qwen3", "prompt": [1, -2, 3]}},
        400,
        "'prompt.1': Input should be greater than or equal to 0",
        id="token-prompt",
    ),
    pytest.param(
        "/v1/completions",
        {"json": {"model": "tiny-qwen3", "prompt": "x", "echo": True, "stream": True}},
        400,
        "'echo' is not supported with",
        id="echo",
    ),
    pytest.param("/v1/embeddings", {"json": {"input": "x"}}, 404, "Not Found", id="unknown-route"),
]


@pytest.mark.parametrize(("path", "kwargs", "status", "message"), CASES)
def test_bad_request_is_answered_and_the_server_stays_up(http, path, kwargs, status, message):
    resp = _post(http, path, **kwargs)
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    assert message in error["message"]
    assert error["type"] == "invalid_request_error"
    # the next request is served as usual
    ok = http.post(CHAT, json={"model": "tiny-qwen3", "messages": USER, "max_tokens": 2})
    assert ok.status_code == 200
    assert ok.json()["choices"][0]["message"]["role"] == "assistant"


def test_wrong_method_is_405_in_openai_shape(http):
    resp = http.get(CHAT)
    assert resp.status_code == 405
    assert "Method Not Allowed" in resp.json()["error"]["message"]


def test_openai_client_sees_a_bad_request_error(client):
    import openai

    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="tiny-qwen3", max_tokens=2, messages=[{"role": "user", "content": LONG_TEXT}]
        )
    assert "shorten the conversation" in info.value.message
