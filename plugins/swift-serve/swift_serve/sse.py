"""Server-sent events: engine stream chunks → ``data: {json}`` lines, ending with ``[DONE]``.

OpenAI's stream rules kept here: chunks carry ``"usage": null`` and, when the
client asked with ``stream_options.include_usage``, one last chunk with no
choices carries the request's usage. Engines put cumulative usage on every
chunk; the last seen value is the request's. An error after the response has
started can no longer change the status, so it is sent as an ``error`` event
(the ``openai`` client raises it) before ``[DONE]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from swift.protocol import (
    ChatCompletionStreamResponse,
    CompletionLogprobs,
    CompletionResponseChoice,
    CompletionStreamResponse,
    UsageInfo,
)
from swift_serve.errors import internal_error

DONE = "data: [DONE]\n\n"
_END = object()

OnEnd = Callable[[UsageInfo | None, bool], None]


def event(payload: dict[str, Any]) -> str:
    """One SSE event carrying ``payload`` as JSON."""
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


def _completion_chunk(chunk: ChatCompletionStreamResponse, offsets: dict[int, int]) -> CompletionStreamResponse:
    # Logprobs text offsets count from the start of each choice's whole answer.
    choices = []
    for c in chunk.choices:
        text = c.delta.content or ""
        start = offsets.get(c.index, 0)
        offsets[c.index] = start + len(text)
        choices.append(
            CompletionResponseChoice(c.index, text, c.finish_reason, CompletionLogprobs.from_chat(c.logprobs, start))
        )
    return CompletionStreamResponse(
        chunk.model, choices, None, chunk.id.replace("chatcmpl", "cmpl", 1), created=chunk.created
    )


async def _batches(
    chunks: AsyncIterator[ChatCompletionStreamResponse],
) -> AsyncIterator[list[ChatCompletionStreamResponse]]:
    """The engine's chunks, grouped into what has arrived by the time the previous group is sent.

    A task pulls chunks off the engine as they come. Under light load each group
    is one chunk (nothing waits); when the server falls behind, the chunks that
    piled up go out in one write, so per-chunk costs shrink as load grows.
    Closing this generator cancels the task, which closes the engine's stream.
    """
    queue: asyncio.Queue = asyncio.Queue()

    async def pump() -> None:
        try:
            async for chunk in chunks:
                queue.put_nowait(chunk)
            queue.put_nowait(_END)
        except Exception as exc:  # noqa: BLE001 - handed to the reader, who reports it
            queue.put_nowait(exc)

    task = asyncio.create_task(pump())
    try:
        while True:
            items = [await queue.get()]
            while not queue.empty():
                items.append(queue.get_nowait())
            ready = [i for i in items if isinstance(i, ChatCompletionStreamResponse)]
            if ready:
                yield ready
            for item in items:
                if isinstance(item, BaseException):
                    raise item
                if item is _END:
                    return
    finally:
        task.cancel()


async def stream_events(
    chunks: AsyncIterator[ChatCompletionStreamResponse],
    *,
    model: str,
    include_usage: bool,
    completions: bool,
    on_end: OnEnd,
) -> AsyncIterator[str]:
    """The SSE text of one streamed request.

    Args:
        chunks: The engine's chunk iterator (closed here, which stops generation
            when the client leaves early).
        model: Name put in every chunk (the one the client asked for).
        include_usage: Send a final usage chunk.
        completions: Send ``text_completion`` chunks instead of chat chunks.
        on_end: Called once with the usage (None if no chunk came) and whether it failed.
    """
    usage: UsageInfo | None = None
    failed = False
    offsets: dict[int, int] = {}
    last_id, created = None, None
    try:
        try:
            async with contextlib.aclosing(_batches(chunks)) as batches:
                async for batch in batches:
                    events = []
                    for chunk in batch:
                        usage = chunk.usage or usage
                        chunk.model, chunk.usage = model, None
                        out = _completion_chunk(chunk, offsets) if completions else chunk
                        last_id, created = out.id, out.created
                        events.append(event(out.to_dict()))
                    yield "".join(events)
            if include_usage:
                kind = CompletionStreamResponse if completions else ChatCompletionStreamResponse
                final = kind(model, [], usage or UsageInfo(), **({"id": last_id} if last_id else {}))
                final.created = created or final.created
                yield event(final.to_dict())
        except Exception as exc:  # noqa: BLE001 - reported to the client, the server stays up
            failed = True
            yield event(internal_error(exc, "generation").body())
        yield DONE
    except BaseException:
        failed = True  # the client went away (cancelled) or the server is stopping
        raise
    finally:
        on_end(usage, failed)
