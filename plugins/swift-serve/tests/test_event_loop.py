"""A long prompt is tokenized on a worker thread: the server's event loop keeps serving meanwhile."""

from __future__ import annotations

import asyncio
import time

import pytest

from swift.protocol import InferRequest, InvalidRequestError, RequestConfig


async def _largest_stall(engine, request: InferRequest) -> tuple[float, float]:
    """(longest gap between 5 ms ticks of another task, duration) while ``engine`` takes ``request``."""
    gaps, ticking = [], True

    async def tick():
        last = time.perf_counter()
        while ticking:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.02)
    start = time.perf_counter()
    with pytest.raises(InvalidRequestError, match="at most 4096"):
        await engine.infer_async(request, RequestConfig(max_tokens=1))
    duration = time.perf_counter() - start
    ticking = False
    await ticker
    return max(gaps), duration


def test_tokenizing_a_huge_prompt_does_not_stall_the_event_loop(engine):
    huge = InferRequest(messages=[{"role": "user", "content": "word " * 300_000}])

    stall, duration = asyncio.run(_largest_stall(engine, huge))

    # on the loop, the loop would stand still for the whole tokenization (stall ≈ duration)
    assert duration > 0.2 and stall < duration / 2, (stall, duration)
