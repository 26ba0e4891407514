"""The engine contract: what ``--infer_backend`` plugins implement.

An ``EngineRecord.load`` names a class that is constructed from the command's
arguments (``InferArguments`` or a subclass) and satisfies :class:`InferEngine`.
The ``swift infer`` pipeline, ``swift deploy`` and GRPO rollouts talk to every
engine through these two methods only.

Weight updates (optional). An engine that GRPO may train through (``swift rollout``,
``--vllm_mode colocate``) also changes its weights while it serves:

* :class:`WeightLoader` — ``load_weights(named_tensors)``: full weights, named as in
  the plain transformers model's ``state_dict()`` (``model.layers.0.mlp.up_proj.weight``;
  no ``base_model.model.`` prefix, no ``.base_layer``), applied in place *on top of*
  the current weights (only the tensors given change), cast to the serving dtype.
  The names are checked before anything changes: an unknown name or a wrong shape
  raises :class:`InvalidRequestError` and leaves the model as it was.
* :class:`AdapterLoader` — ``load_adapter(adapter, config=None, *, name=None)``: a
  peft LoRA adapter (a folder as ``save_pretrained`` writes it, or its tensors plus
  its ``adapter_config.json`` as a dict) relative to the *original* base weights. It
  replaces — never stacks on — the adapter loaded before under the same name;
  ``name=None`` is the default adapter every request without ``adapter=`` gets.

Both return the number of tensors applied and return only once the new weights
are in effect for every later request; a request is never answered with
half-applied weights (the engine blocks generation while it swaps).
:func:`weight_formats` tells what an engine accepts (``swift rollout``'s ``/health``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from swift.kernel.errors import UsageError

if TYPE_CHECKING:
    from swift.protocol.requests import InferRequest, RequestConfig
    from swift.protocol.responses import ChatCompletionResponse, ChatCompletionStreamResponse


class InvalidRequestError(UsageError):
    """A request the engine cannot serve as asked.

    An unknown adapter, a prompt longer than the model's context … The message says what was wrong; servers answer
    400.
    """


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


@runtime_checkable
class WeightLoader(Protocol):
    """An engine whose full weights can be replaced while it serves (see the module docs).

    Example::

        engine.load_weights(policy_state.items())   # ("lm_head.weight", tensor), ...
    """

    def load_weights(self, named_tensors: Iterable[tuple[str, Any]]) -> int:
        """Copy ``(name, tensor)`` pairs into the live model; returns how many.

        Raises:
            InvalidRequestError: A name the model does not have, or a wrong shape;
                nothing was changed.
        """
        ...


@runtime_checkable
class AdapterLoader(Protocol):
    """An engine that takes a new LoRA adapter while it serves (see the module docs).

    Example::

        engine.load_adapter("output/checkpoint-10")                    # a peft folder
        engine.load_adapter(tensors, json.load(open("adapter_config.json")))
    """

    def load_adapter(
        self,
        adapter: str | Mapping[str, Any],
        config: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
    ) -> int:
        """Load a peft adapter relative to the original base, replacing the previous one.

        Args:
            adapter: A folder with ``adapter_config.json`` and the adapter weights, or
                the weights as ``{name: tensor}`` (peft's names, as saved).
            config: The ``adapter_config.json`` content; required with tensors.
            name: Serve it under this name (``adapter=name``); None = the default
                adapter of every request that names none.

        Returns:
            The number of adapter tensors loaded.

        Raises:
            InvalidRequestError: The adapter does not fit the model.
        """
        ...


@runtime_checkable
class AdapterUnloader(Protocol):
    """An engine that stops serving a named adapter while it serves (``swift deploy``'s runtime LoRA API).

    Example::

        engine.load_adapter("rollout_adapters/policy-2", name="policy-2")
        engine.unload_adapter("policy-1")
    """

    def unload_adapter(self, name: str) -> None:
        """Stop serving adapter ``name`` and free its weights.

        Raises:
            InvalidRequestError: No adapter is served as ``name``.
        """
        ...


def weight_formats(engine: Any) -> list[str]:
    """What weight updates ``engine`` accepts.

    ``full`` (:class:`WeightLoader`) and ``lora`` (:class:`AdapterLoader`), in that order; empty for a serving-only
    engine.
    """
    formats = []
    if callable(getattr(engine, "load_weights", None)):
        formats.append("full")
    if callable(getattr(engine, "load_adapter", None)):
        formats.append("lora")
    return formats
