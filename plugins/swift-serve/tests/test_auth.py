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


def _routes(app) -> list[tuple[str, str]]:
    """Every (method, path) the app serves, read from the app itself: a new route is covered by itself."""
    from starlette.routing import Route

    found = []
    for route in app.routes:
        if isinstance(route, Route):
            path = route.path.replace("{name:path}", "tiny-qwen3")
            found += [(method, path) for method in sorted(route.methods or ()) if method in ("GET", "POST")]
    return found


@pytest.fixture(scope="module")
def secured_apps(engine, tiny_model_dir, make_deploy_args, api_key):
    """A deploy and a rollout server, both with ``--api_key``, over the session engine."""
    from swift_serve.app import create_app
    from swift_serve.rollout_app import create_rollout_app
    from swift_serve.server import BackgroundServer

    from swift.arguments import RolloutArguments

    deploy = create_app(engine, make_deploy_args(tiny_model_dir, api_key=api_key))
    rollout_args = RolloutArguments(
        model=tiny_model_dir, infer_backend="pt", host="127.0.0.1", port=0, verbose=False, log_interval=0,
        api_key=api_key,
    )  # fmt: skip
    rollout = create_rollout_app(engine, rollout_args)
    with BackgroundServer(deploy) as one, BackgroundServer(rollout) as two:
        yield {"deploy": (deploy, one.url), "rollout": (rollout, two.url)}


@pytest.mark.parametrize("kind", ["deploy", "rollout"])
def test_every_route_but_health_wants_the_key(secured_apps, api_key, kind):
    app, url = secured_apps[kind]
    routes = _routes(app)
    assert ("GET", "/openapi.json") in routes and ("GET", "/v1/models") in routes
    if kind == "rollout":
        assert {("POST", "/infer"), ("POST", "/update_weights")} <= set(routes)
    for method, path in routes:
        # an empty JSON object: a route that got past the key answers 200 or a 4xx about the body, never 401
        def send(headers, method=method, path=path):
            return httpx.request(method, url + path, json={}, headers=headers, timeout=60)

        if path == "/health":
            assert send({}).status_code == 200
            continue
        assert send({}).status_code == 401, (method, path)
        assert send({"Authorization": "Bearer wrong"}).status_code == 401, (method, path)
        right = send({"Authorization": f"Bearer {api_key}"})
        assert right.status_code != 401 and right.status_code < 500, (method, path, right.text)
