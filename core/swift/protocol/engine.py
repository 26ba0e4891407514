"""The engine contract: what ``--infer_backend`` plugins implement.

An ``EngineRecord.load`` names a class that is constructed from the command's
arguments (``InferArguments`` or a subclass) and satisfies :class:`InferEngine`.
The ``swift infer`` pipeline, ``swift deploy`` and GRPO rollouts talk to every
engine through these two methods only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from swift.kernel.errors import UsageError

if TYPE_CHECKING:
    from swift.protocol.requests import InferRequest, RequestConfig
    from swift.protocol.responses import ChatCompletionResponse, ChatCompletionStreamResponse


class InvalidRequestError(UsageError):
    """A request the engine cannot serve as asked: an unknown adapter, a prompt longer
    than the model's context … The message says what was wrong; servers answer 400."""


@runtime_checkable
class InferEngine(Protocol):
    """An inference engine.

    Attributes:
        model_name: Name clients use for the base model (the model folder's name).
        adapter_names: Names of LoRA adapters a request may choose with ``adapter=``.

    Example::

        engine = registry("engines").load("pt")(InferArguments(model="Qwen/Qwen2.5-0.5B-Instruct"))
        [resp] = engine.infer([InferRequest(messages=[{"role": "user", "content": "hi"}])],
                              RequestConfig(max_tokens=32, temperature=0))
        print(resp.choices[0].message.content)
    """

    model_name: str
    adapter_names: tuple[str, ...]

    def infer(
        self,
        requests: list[InferRequest],
        request_config: RequestConfig | None = None,
        *,
        adapter: str | None = None,
    ) -> list[ChatCompletionResponse] | list[Iterator[ChatCompletionStreamResponse]]:
        """Answer ``requests`` (batched as the engine sees fit), in order.

        Args:
            requests: Conversations to answer.
            request_config: Generation settings shared by all; None = engine defaults.
            adapter: Name of the LoRA adapter to use; None = the engine's default
                (the adapters given without a name, else the base model).

        Returns:
            One response per request; with ``request_config.stream`` one iterator of
            chunks per request instead.

        Raises:
            InvalidRequestError: An unknown adapter or an impossible request.
        """
        ...

    async def infer_async(
        self,
        request: InferRequest,
        request_config: RequestConfig | None = None,
        *,
        adapter: str | None = None,
    ) -> ChatCompletionResponse | AsyncIterator[ChatCompletionStreamResponse]:
        """Answer one request; concurrent calls may be served in one batch.

        Returns:
            The response, or with ``stream`` an async iterator of chunks (closing it
            early stops the generation of that request).
        """
        ...

    def close(self) -> None:
        """Release workers and memory; the engine is unusable afterwards."""
        ...
