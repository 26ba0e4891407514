"""``--ssl_keyfile/--ssl_certfile``: the server speaks HTTPS."""

from __future__ import annotations

import ssl

import httpx
import openai
import pytest


@pytest.fixture(scope="module")
def tls_server(engine, tiny_model_dir, tls_files, make_deploy_args):
    from swift_serve.app import create_app
    from swift_serve.server import BackgroundServer

    key, cert = tls_files
    args = make_deploy_args(tiny_model_dir, ssl_keyfile=key, ssl_certfile=cert)
    with BackgroundServer(create_app(engine, args), args) as server:
        yield server


def test_https_with_the_certificate(tls_server, tls_files):
    assert tls_server.url.startswith("https://127.0.0.1:")
    context = ssl.create_default_context(cafile=tls_files[1])
    with (
        httpx.Client(verify=context, timeout=120) as http,
        openai.OpenAI(base_url=tls_server.url + "/v1", api_key="-", http_client=http, max_retries=0) as client,
    ):
        resp = client.chat.completions.create(
            model="tiny-qwen3", max_tokens=3, messages=[{"role": "user", "content": "hi"}]
        )
        assert resp.choices[0].finish_reason in ("stop", "length")


def test_plain_http_is_not_served_on_the_tls_port(tls_server):
    with pytest.raises(httpx.HTTPError):
        httpx.get(tls_server.url.replace("https://", "http://") + "/health", timeout=30).raise_for_status()
