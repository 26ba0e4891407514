"""Where the generation thread delivers results: to sync callers or to an event loop.

The worker thread that runs ``generate`` must never touch an asyncio object
directly; async sinks hop onto their loop with ``call_soon_threadsafe``. Every
sink reports ``cancelled`` so the worker stops generating for a client that left.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from typing import Any

_END = object()


class FutureSink:
    """One final response for a synchronous caller."""

    def __init__(self) -> None:
        self.future: Future = Future()

    @property
    def cancelled(self) -> bool:
        """Whether the caller gave up waiting."""
        return self.future.cancelled()

    def put(self, chunk: Any) -> None:  # non-stream requests get no chunks
        """Ignored: a non-streaming request gets only the final response."""
        pass

    def finish(self, response: Any) -> None:
        """Deliver the final response."""
        if not self.future.done():
            self.future.set_result(response)

    def fail(self, exc: BaseException) -> None:
        """Deliver the error the generation raised."""
        if not self.future.done():
            self.future.set_exception(exc)


class QueueSink:
    """Stream chunks to a synchronous iterator; closing the iterator cancels."""

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._cancelled = False

    @property
    def cancelled(self) -> bool:
        """Whether the consumer stopped reading."""
        return self._cancelled

    def put(self, chunk: Any) -> None:
        """Queue one stream chunk."""
        self._queue.put(chunk)

    def finish(self, response: Any = None) -> None:
        """End the stream."""
        self._queue.put(_END)

    def fail(self, exc: BaseException) -> None:
        """End the stream with the error the generation raised."""
        self._queue.put(exc)

    def __iter__(self) -> Iterator[Any]:
        try:
            while True:
                item = self._queue.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._cancelled = True


class AsyncFutureSink:
    """One final response for a coroutine on ``loop``."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.future: asyncio.Future = loop.create_future()

    @property
    def cancelled(self) -> bool:
        """Whether the awaiting coroutine was cancelled."""
        return self.future.cancelled()

    def put(self, chunk: Any) -> None:
        """Ignored: a non-streaming request gets only the final response."""
        pass

    def _settle(self, method: str, value: Any) -> None:
        def apply() -> None:
            if not self.future.done():
                getattr(self.future, method)(value)

        try:
            self._loop.call_soon_threadsafe(apply)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    def finish(self, response: Any) -> None:
        """Resolve the future on its loop with the final response."""
        self._settle("set_result", response)

    def fail(self, exc: BaseException) -> None:
        """Resolve the future on its loop with the error the generation raised."""
        self._settle("set_exception", exc)


class AsyncQueueSink:
    """Stream chunks to an async iterator on ``loop``; closing it early cancels."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: asyncio.Queue = asyncio.Queue()
        self._cancelled = False

    @property
    def cancelled(self) -> bool:
        """Whether the consumer stopped reading."""
        return self._cancelled

    def _push(self, item: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:
            self._cancelled = True

    def put(self, chunk: Any) -> None:
        """Queue one stream chunk on the consumer's loop."""
        self._push(chunk)

    def finish(self, response: Any = None) -> None:
        """End the stream."""
        self._push(_END)

    def fail(self, exc: BaseException) -> None:
        """End the stream with the error the generation raised."""
        self._push(exc)

    async def iterate(self) -> AsyncIterator[Any]:
        """The chunks, until the last one."""
        try:
            while True:
                item = await self._queue.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._cancelled = True
