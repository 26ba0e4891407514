"""Huge prompts never stall the server: refused before tokenizing when they cannot fit, else tokenized off the loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from swift.protocol import InferRequest, InvalidRequestError, RequestConfig
from swift.services.prompts import OFF_LOOP_CHARS, off_loop_if_long


def test_a_long_request_is_built_on_a_worker_thread_and_a_short_one_on_the_loop():
    def build(tag):
        return tag, threading.current_thread()

    async def main():
        loop_thread = threading.current_thread()
        short = InferRequest(messages=[{"role": "user", "content": "hi"}])
        long = InferRequest(messages=[{"role": "user", "content": "x" * (OFF_LOOP_CHARS + 1)}])
        ids = InferRequest.completion(list(range(OFF_LOOP_CHARS + 1)))
        built = [await off_loop_if_long(r, build, tag) for r, tag in ((short, "s"), (long, "l"), (ids, "i"))]
        return loop_thread, built

    loop_thread, built = asyncio.run(main())

    assert [tag for tag, _ in built] == ["s", "l", "i"]
    assert built[0][1] is loop_thread
    assert built[1][1] is not loop_thread and built[2][1] is not loop_thread


def test_a_text_that_cannot_fit_the_context_is_refused_without_tokenizing(engine):
    huge = InferRequest(messages=[{"role": "user", "content": "word " * 2_000_000}])  # 10 MB

    with pytest.raises(InvalidRequestError, match=r"characters, at least \d+ tokens, but the model takes at most 4096"):
        asyncio.run(engine.infer_async(huge, RequestConfig(max_tokens=1)))
    # the bound never refuses what fits: a long text under it is tokenized and judged by its real length
    fits = InferRequest(messages=[{"role": "user", "content": "word " * 500}])
    assert asyncio.run(engine.infer_async(fits, RequestConfig(max_tokens=1))).choices
