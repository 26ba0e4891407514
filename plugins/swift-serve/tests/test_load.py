"""Many concurrent streaming clients: every stream completes, none fails (bounded, no timing asserts)."""

from __future__ import annotations

import asyncio
import time

import httpx
import openai

CLIENTS = 64
PROMPTS = (
    "hello",
    "What is the weather today?",
    "one two three",
    "Write python code",
    "你好，世界",
    "sum of 1 2",
)


async def _stream(client: openai.AsyncOpenAI, i: int) -> tuple[str, str | None, int]:
    stream = await client.chat.completions.create(
        model="lora1" if i % 4 == 0 else "tiny-qwen3",
        messages=[{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
        max_tokens=8 + i % 5,
        temperature=0,
        stream=True,
        stream_options={"include_usage": True},
    )
    text, finish, usage = [], None, 0
    async for chunk in stream:
        for choice in chunk.choices:
            text.append(choice.delta.content or "")
            finish = choice.finish_reason or finish
        if chunk.usage is not None:
            usage = chunk.usage.completion_tokens
    return "".join(text), finish, usage


def test_64_concurrent_streams_all_complete(server):
    async def run():
        limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        async with openai.AsyncOpenAI(
            base_url=server.url + "/v1",
            api_key="-",
            max_retries=0,
            timeout=600,
            http_client=httpx.AsyncClient(limits=limits, timeout=600),
        ) as client:
            return await asyncio.gather(*(_stream(client, i) for i in range(CLIENTS)))

    results = asyncio.run(run())
    assert len(results) == CLIENTS
    for i, (_text, finish, completion_tokens) in enumerate(results):
        assert finish in ("stop", "length"), i
        assert 0 < completion_tokens <= 8 + i % 5, i


def test_raw_sse_stream_ends_with_done(http):
    with http.stream(
        "POST",
        "/v1/chat/completions",
        json={
            "model": "tiny-qwen3",
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 3,
            "stream": True,
        },
    ) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        events = [line for line in resp.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    assert '"finish_reason": "' in events[-2]


def test_server_counts_what_it_served(server):
    stats = server.app.state.server.stats
    before = stats.snapshot()
    with httpx.Client(base_url=server.url, timeout=120) as http:
        http.post("/v1/completions", json={"model": "tiny-qwen3", "prompt": "hello", "max_tokens": 3})
    requests, failed, prompt, generated, _ = stats.snapshot()
    assert requests == before[0] + 1 and failed == before[1]
    assert prompt > before[2] and 0 < generated - before[3] <= 3
    assert stats.running == 0


def test_a_client_leaving_mid_stream_is_counted_and_the_server_keeps_serving(server, http):
    stats = server.app.state.server.stats
    failed_before = stats.failed
    body = {
        "model": "tiny-qwen3",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 3000,
        "stream": True,
        "temperature": 0,
    }
    with http.stream("POST", "/v1/chat/completions", json=body) as resp:
        first = next(line for line in resp.iter_lines() if line)
        assert first.startswith("data: {")
    # the server notices on its next write, closes the engine stream and counts the request as failed
    deadline = time.monotonic() + 120
    while (stats.running or stats.failed == failed_before) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stats.running == 0 and stats.failed == failed_before + 1
    ok = http.post("/v1/chat/completions", json={**body, "stream": False, "max_tokens": 2})
    assert ok.status_code == 200
