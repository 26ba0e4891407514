"""Concurrent requests share generate calls, and batching never changes an answer."""

from __future__ import annotations

import asyncio

import pytest

from swift.protocol import RequestConfig, join_stream


@pytest.fixture
def count_generate(engine, monkeypatch):
    """Count the engine's ``model.generate`` calls and the batch size of each."""
    sizes: list[int] = []
    original = engine.model.generate

    def counting(*args, **kwargs):
        sizes.append(kwargs["input_ids"].shape[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(engine.model, "generate", counting)
    return sizes


def _texts(responses):
    return [r.choices[0].message.content for r in responses]


def test_concurrent_async_requests_are_batched(engine, ask, prompts, count_generate):
    config = RequestConfig(max_tokens=10, temperature=0)
    requests = [ask(p) for p in (*prompts, "hi", "two", "three")]
    singles = [engine.infer([r], config)[0] for r in requests]
    count_generate.clear()

    async def main():
        return await asyncio.gather(*(engine.infer_async(r, config) for r in requests))

    results = asyncio.run(main())
    assert len(requests) == 8
    assert len(count_generate) < len(requests)
    assert max(count_generate) > 1
    assert _texts(results) == _texts(singles)


def test_requests_with_different_max_tokens_share_a_batch(engine, ask, prompts, count_generate):
    limits = [3, 9, 5, 12, 1]

    async def main():
        return await asyncio.gather(
            *(engine.infer_async(ask(p), RequestConfig(max_tokens=n, temperature=0)) for p, n in zip(prompts, limits))
        )

    singles = [engine.infer([ask(p)], RequestConfig(max_tokens=n, temperature=0))[0] for p, n in zip(prompts, limits)]
    count_generate.clear()
    results = asyncio.run(main())
    assert len(count_generate) < len(limits)
    assert [r.usage.completion_tokens for r in results] == limits
    assert {r.choices[0].finish_reason for r in results} == {"length"}
    assert _texts(results) == _texts(singles)


def test_different_sampling_settings_go_to_different_batches(engine, ask, count_generate):
    greedy = RequestConfig(max_tokens=4, temperature=0)
    sampled = RequestConfig(max_tokens=4, temperature=0.8, seed=3)
    engine.infer([ask("hello"), ask("hi")], greedy)
    assert count_generate == [2]

    async def main():
        return await asyncio.gather(
            engine.infer_async(ask("hello"), greedy),
            engine.infer_async(ask("hello"), sampled),
            engine.infer_async(ask("hi"), greedy),
        )

    count_generate.clear()
    asyncio.run(main())
    assert len(count_generate) >= 2 and sum(count_generate) == 3


def test_a_list_is_generated_in_chunks_of_max_batch_size(tiny_model_dir, make_engine, ask, prompts):
    small = make_engine(tiny_model_dir, max_batch_size=2)
    sizes: list[int] = []
    original = small.model.generate
    small.model.generate = lambda *a, **kw: sizes.append(kw["input_ids"].shape[0]) or original(*a, **kw)
    small.infer([ask(p) for p in prompts], RequestConfig(max_tokens=3, temperature=0))
    assert sizes == [2, 2, 1]


def test_async_stream_yields_chunks_of_the_same_answer(engine, ask):
    config = RequestConfig(max_tokens=10, temperature=0)
    [answer] = engine.infer([ask("hello")], config)

    async def main():
        stream = await engine.infer_async(ask("hello"), RequestConfig(max_tokens=10, temperature=0, stream=True))
        return [chunk async for chunk in stream]

    chunks = asyncio.run(main())
    assert join_stream(chunks) == (
        answer.choices[0].message.content,
        answer.choices[0].finish_reason,
    )


def test_closing_a_stream_early_stops_its_generation(engine, ask, monkeypatch):
    steps: list[int] = []
    original = engine.model.generate

    def measuring(*args, **kwargs):
        output = original(*args, **kwargs)
        steps.append(output.shape[1] - kwargs["input_ids"].shape[1])
        return output

    monkeypatch.setattr(engine.model, "generate", measuring)

    async def main():
        stream = await engine.infer_async(ask("hello"), RequestConfig(max_tokens=400, temperature=0, stream=True))
        async for _ in stream:
            break
        await stream.aclose()
        # the next request is served once the worker has noticed the client left
        return await engine.infer_async(ask("hi"), RequestConfig(max_tokens=5, temperature=0))

    result = asyncio.run(main())
    assert result.usage.completion_tokens == 5
    assert steps[0] < 400


def test_closing_a_sync_stream_early_stops_its_generation(engine, ask, monkeypatch):
    steps: list[int] = []
    original = engine.model.generate

    def measuring(*args, **kwargs):
        output = original(*args, **kwargs)
        steps.append(output.shape[1] - kwargs["input_ids"].shape[1])
        return output

    monkeypatch.setattr(engine.model, "generate", measuring)
    [stream] = engine.infer([ask("hello")], RequestConfig(max_tokens=400, temperature=0, stream=True))
    next(stream)
    stream.close()
    [after] = engine.infer([ask("hi")], RequestConfig(max_tokens=3, temperature=0))
    assert after.usage.completion_tokens == 3
    assert steps[0] < 400
