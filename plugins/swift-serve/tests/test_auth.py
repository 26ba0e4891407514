"""``--api_key``: bearer authentication on every ``/v1`` route."""

from __future__ import annotations

import httpx
import openai
import pytest


def _client(server, key):
    return openai.OpenAI(base_url=server.url + "/v1", api_key=key, max_retries=0, timeout=60)


def test_right_key_is_served(secured_server, ask, api_key):
    with _client(secured_server, api_key) as client:
        assert [m.id for m in client.models.list().data] == ["tiny-qwen3", "lora1"]
        resp = client.chat.completions.create(model="tiny-qwen3", messages=ask("hi"), max_tokens=2)
        assert resp.choices[0].message.content is not None


@pytest.mark.parametrize("key", ["sk-wrong", "sk-test-key-and-more", "sk-test-ke"])
def test_wrong_key_is_401(secured_server, ask, key):
    with _client(secured_server, key) as client:
        with pytest.raises(openai.AuthenticationError) as info:
            client.chat.completions.create(model="tiny-qwen3", messages=ask("hi"), max_tokens=2)
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic sk-test-key"}])
def test_missing_key_is_401_in_openai_shape(secured_server, headers):
    for method, path in (
        ("GET", "/v1/models"),
        ("POST", "/v1/completions"),
        ("POST", "/v1/chat/completions"),
    ):
        resp = httpx.request(method, secured_server.url + path, json={"prompt": "x"}, headers=headers, timeout=60)
        assert resp.status_code == 401, path
        assert resp.headers["www-authenticate"] == "Bearer"
        error = resp.json()["error"]
        assert error["type"] == "invalid_request_error" and error["code"] == "invalid_api_key"
        assert "Authorization: Bearer" in error["message"]


def test_health_needs_no_key(secured_server):
    assert httpx.get(secured_server.url + "/health", timeout=60).json() == {"status": "ok"}


def test_server_without_key_ignores_any_key(server):
    resp = httpx.get(server.url + "/v1/models", headers={"Authorization": "Bearer whatever"}, timeout=60)
    assert resp.status_code == 200
