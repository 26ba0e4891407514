"""Engine conformance: the :mod:`swift.protocol` contract, streaming included, on a tiny model."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from swift.kernel import load_object
from swift_sdk.conformance.arguments import command_args
from swift_sdk.conformance.errors import fail
from swift_sdk.conformance.plugin import PluginUnderTest
from swift_sdk.conformance.tiny_cache import tiny_model_dir

MAX_TOKENS = 8


def _collect_async(engine: Any, request: Any, config: Any) -> tuple[Any, list[Any]]:
    async def run() -> tuple[Any, list[Any]]:
        response = await engine.infer_async(request, config)
        stream = await engine.infer_async(request, _with(config, stream=True))
        return response, [chunk async for chunk in stream]

    return asyncio.run(run())


def _with(config: Any, **changes: Any) -> Any:
    return dataclasses.replace(config, **changes)


def check_engine(plugin: PluginUnderTest, name: str, model_dir: str | None = None, *, args: Any = None) -> None:
    """Answer requests with the engine ``name`` on a tiny model, as ``swift infer`` would.

    Checks: the class builds from ``swift infer --infer_backend name``'s arguments and has
    the :class:`swift.protocol.InferEngine` members; ``infer`` answers a batch of two with
    one :class:`~swift.protocol.ChatCompletionResponse` each (text, ``finish_reason``
    ``stop``/``length``, usage within ``max_tokens``); with ``stream=True`` it returns one
    chunk iterator per request whose chunks concatenate to the greedy non-stream text and
    finish reason; ``infer_async`` answers the same, streamed and not; ``close`` works.

    Raises:
        ConformanceError: Naming the engine and the broken part of the contract.
    """
    from swift.protocol import (
        ChatCompletionResponse,
        ChatCompletionStreamResponse,
        InferEngine,
        InferRequest,
        RequestConfig,
        join_stream,
    )

    record = plugin.record("engines", name)
    model_dir = model_dir or tiny_model_dir()

    def problem(text: str) -> Exception:
        return fail(plugin.label, text, family="engines", record=name)

    if args is None:
        args = command_args(plugin, "infer", ["--model", model_dir, "--infer_backend", name])
    with plugin.active():
        engine = load_object(record.load, what=f"engine {name!r}")(args)
        try:
            if not isinstance(engine, InferEngine):
                missing = [
                    m
                    for m in ("model_name", "adapter_names", "infer", "infer_async", "close")
                    if not hasattr(engine, m)
                ]
                raise problem(f"{type(engine).__name__} lacks {', '.join(missing)} of swift.protocol.InferEngine")
            ask = InferRequest(messages=[{"role": "user", "content": "Say something short."}])
            other = InferRequest(messages=[{"role": "user", "content": "Count to three."}])
            config = RequestConfig(max_tokens=MAX_TOKENS, temperature=0)
            answers = engine.infer([ask, other], config)
            if not isinstance(answers, list) or len(answers) != 2:
                raise problem(f"infer() of 2 requests returned {answers!r}, not a list of 2 responses")
            for answer in answers:
                if not isinstance(answer, ChatCompletionResponse):
                    raise problem(f"infer() returned a {type(answer).__name__}, not a ChatCompletionResponse")
                choice = answer.choices[0]
                if not isinstance(choice.message.content, str) or choice.finish_reason not in (
                    "stop",
                    "length",
                ):
                    raise problem(f"a choice needs text and finish_reason 'stop' or 'length', got {choice!r}")
                usage = answer.usage
                if not 0 <= usage.completion_tokens <= MAX_TOKENS or usage.prompt_tokens <= 0:
                    raise problem(f"usage {usage!r} does not fit the request (max_tokens={MAX_TOKENS})")
            [single] = engine.infer([ask], config)
            text, finish = single.choices[0].message.content, single.choices[0].finish_reason
            streams = engine.infer([ask], _with(config, stream=True))
            if not isinstance(streams, list) or len(streams) != 1:
                raise problem(f"infer(stream=True) of 1 request returned {streams!r}, not a list of 1 iterator")
            chunks = list(streams[0])
            if not chunks or not all(isinstance(c, ChatCompletionStreamResponse) for c in chunks):
                raise problem("infer(stream=True) must yield ChatCompletionStreamResponse chunks")
            if join_stream(chunks) != (text, finish):
                raise problem(
                    f"the stream chunks concatenate to {join_stream(chunks)!r} but the greedy "
                    f"non-stream answer is {(text, finish)!r}"
                )
            response, async_chunks = _collect_async(engine, ask, config)
            if response.choices[0].message.content != text:
                raise problem(f"infer_async() answered {response.choices[0].message.content!r}, infer() {text!r}")
            if join_stream(async_chunks) != (text, finish):
                raise problem(
                    f"infer_async(stream=True) chunks give {join_stream(async_chunks)!r}, not {(text, finish)!r}"
                )
        finally:
            engine.close()
