"""Group requests that arrive together into one ``generate`` call.

A single worker thread owns the model. Callers queue :class:`Job` objects; each
time the worker is free it takes the oldest job plus every queued job that can
share its ``generate`` call (same adapter and sampling settings), up to
``max_batch_size`` sequences. Requests that arrive while a batch runs form the
next one, so under load batches fill up without any waiting window.

:meth:`BatchScheduler.paused` holds the worker between batches, so the model can be
changed (new weights, another adapter) while nothing generates with it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Job:
    """One request waiting for generation.

    Attributes:
        prompt_ids: Encoded prompt.
        key: Requests with equal keys may share a ``generate`` call.
        rows: Sequences it needs (its ``n``).
        payload: What the batch runner needs (config, adapter, response id …).
        sink: Where the results go (see :mod:`swift_transformers.engine.sinks`).
    """

    prompt_ids: list[int]
    key: Hashable
    rows: int
    payload: Any
    sink: Any


class BatchScheduler:
    """The worker thread and its queue.

    Args:
        run_batch: ``fn(jobs)`` that generates for the jobs and delivers to their
            sinks; an exception it raises is delivered to every job of the batch.
        max_batch_size: Most sequences per ``generate`` call (a single request with
            a larger ``n`` still runs, alone).
        name: Thread name (shows in stack dumps).
    """

    def __init__(
        self,
        run_batch: Callable[[list[Job]], None],
        max_batch_size: int,
        name: str = "swift-pt-engine",
    ):
        self._run_batch = run_batch
        self.max_batch_size = max(1, int(max_batch_size))
        self._pending: deque[Job] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._pauses = 0
        self._running = False
        self._name = name
        self._thread: threading.Thread | None = None

    def submit(self, jobs: list[Job]) -> None:
        """Queue ``jobs`` at once, so a list given together is batched together."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the engine is closed")
            self._pending.extend(jobs)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def close(self, timeout: float | None = None) -> None:
        """Stop after the queued jobs are done."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Run the body while no batch runs.

        Waits for the current one to finish and keeps queued jobs waiting until the body is done. Pauses of several
        threads may overlap (the worker resumes after the last); they do not exclude each other.
        """
        if threading.current_thread() is self._thread:
            raise RuntimeError("the generation worker cannot pause itself")
        with self._cond:
            self._pauses += 1
            while self._running:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._pauses -= 1
                self._cond.notify_all()

    def _next_batch(self) -> list[Job] | None:
        with self._cond:
            self._running = False
            self._cond.notify_all()  # a pause may be waiting for this batch to end
            while self._pauses or (not self._pending and not self._closed):
                self._cond.wait()
            if not self._pending:
                return None
            first = self._pending.popleft()
            batch, rows, rest = [first], first.rows, deque()
            while self._pending:
                job = self._pending.popleft()
                if job.key == first.key and rows + job.rows <= self.max_batch_size:
                    batch.append(job)
                    rows += job.rows
                else:
                    rest.append(job)
            self._pending = rest
            self._running = True
            return batch

    def _loop(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            batch = [job for job in batch if not job.sink.cancelled]
            if not batch:
                continue
            try:
                self._run_batch(batch)
            except BaseException as exc:  # noqa: BLE001 - delivered to the callers, who re-raise it
                logger.debug("generation failed", exc_info=True)
                for job in batch:
                    job.sink.fail(exc)
