"""A private event loop thread that owns the vLLM engine.

vLLM's ``AsyncLLM`` binds its output handler and request queues to the event loop
it first runs on. swift's callers come from everywhere: ``swift infer`` calls
``infer`` from plain threads, ``swift deploy`` awaits ``infer_async`` on uvicorn's
loop, a GRPO trainer calls ``infer`` and ``load_weights`` from its own thread. So the
engine lives on one loop of its own, and this module carries calls and stream
items across: one ``run_coroutine_threadsafe`` per call, one ``call_soon_threadsafe``
per stream item.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
_END = object()


class _Failure:
    # Wraps an exception raised on the engine loop so the consumer re-raises it.
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class EngineLoop:
    """An asyncio loop running forever in a daemon thread.

    Example::

        loop = EngineLoop()
        result = loop.call(some_coroutine())           # from any thread, blocking
        result = await loop.call_async(some_coroutine())  # from another event loop
    """

    def __init__(self, name: str = "swift-vllm-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    @property
    def is_current(self) -> bool:
        """Whether the calling code already runs on this loop."""
        try:
            return asyncio.get_running_loop() is self.loop
        except RuntimeError:
            return False

    def submit(self, coro: Awaitable[T]) -> Future:
        """Schedule ``coro`` on the loop; a concurrent future of its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]

    def call(self, coro: Awaitable[T]) -> T:
        """Run ``coro`` on the loop and wait for its result (not from the loop itself)."""
        if self.is_current:
            raise RuntimeError("EngineLoop.call would block its own loop; await the coroutine")
        return self.submit(coro).result()

    async def call_async(self, coro: Awaitable[T]) -> T:
        """Await ``coro`` run on the loop, from any event loop."""
        if self.is_current:
            return await coro
        return await asyncio.wrap_future(self.submit(coro))

    def stream_async(self, make: Callable[[], AsyncIterator[T]]) -> AsyncIterator[T]:
        """Items of the async iterator ``make()``, run on this loop, for the calling loop.

        The producer starts at once (so concurrent requests share vLLM's batches);
        closing the returned iterator early cancels it, which aborts the vLLM
        request behind it. Call from a coroutine.
        """
        if self.is_current:
            return make()
        caller = asyncio.get_running_loop()
        items: asyncio.Queue = asyncio.Queue()

        def push(item: Any) -> None:
            try:
                caller.call_soon_threadsafe(items.put_nowait, item)
            except RuntimeError:  # the caller's loop closed: nobody listens any more
                pass

        return _drain_async(items, self.submit(_pump(make, push)))

    def stream(self, make: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
        """Items of ``make()``, run on this loop, for a synchronous consumer (starts at once)."""
        items: queue.SimpleQueue = queue.SimpleQueue()
        return _drain(items, self.submit(_pump(make, items.put)))

    def close(self) -> None:
        """Stop the loop and its thread."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=30)
        if not self._thread.is_alive():
            self.loop.close()


async def _pump(make: Callable[[], AsyncIterator[Any]], push: Callable[[Any], None]) -> None:
    try:
        async for item in make():
            push(item)
    except asyncio.CancelledError:
        raise
    except BaseException as exc:  # noqa: BLE001 - handed to the consumer, who re-raises
        push(_Failure(exc))
        return
    push(_END)


def _unwrap(item: Any) -> Any:
    if isinstance(item, _Failure):
        raise item.exc
    return item


async def _drain_async(items: asyncio.Queue, future: Future) -> AsyncIterator[Any]:
    try:
        while (item := await items.get()) is not _END:
            yield _unwrap(item)
    finally:
        future.cancel()


def _drain(items: queue.SimpleQueue, future: Future) -> Iterator[Any]:
    try:
        while (item := items.get()) is not _END:
            yield _unwrap(item)
    finally:
        future.cancel()
