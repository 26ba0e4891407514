"""``VllmEngine``: the ``vllm`` engine (``--infer_backend vllm``) over vLLM's ``AsyncLLM``.

Prompts are encoded by swift's template and handed to vLLM as token ids; vLLM
schedules every request of every caller in one continuous batch. One engine object
serves ``swift infer`` (``infer``), ``swift deploy`` (``infer_async`` on uvicorn's loop)
and GRPO (``infer`` plus ``load_weights`` / ``load_adapter``) — see :mod:`.loop` for how
calls from any thread or loop reach the engine's own loop.

Example::

    engine = VllmEngine(InferArguments(model="Qwen/Qwen2.5-0.5B-Instruct", infer_backend="vllm"))
    [resp] = engine.infer([InferRequest(messages=[{"role": "user", "content": "hi"}])],
                          RequestConfig(max_tokens=64, temperature=0))
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from swift.kernel import SwiftError
from swift.protocol import (
    ChatCompletionResponse,
    ChatCompletionStreamResponse,
    InferRequest,
    InvalidRequestError,
    RequestConfig,
    random_id,
)
from swift.services import split_stops
from swift.services.prompts import check_token_ids, off_loop_if_long
from swift_vllm.adapters import AdapterTable
from swift_vllm.arguments import vllm_settings
from swift_vllm.engine_args import engine_args
from swift_vllm.loop import EngineLoop
from swift_vllm.outputs import ResponseBuilder
from swift_vllm.sampling import GenerationDefaults, sampling_params
from swift_vllm.updates import WeightUpdates


@dataclass
class _Job:
    prompt_ids: list[int]
    params: Any
    lora: Any
    builder: ResponseBuilder
    media: dict[str, list[Any]] | None = None  # vLLM's multi_modal_data (its processor expands the placeholders)


class VllmEngine:
    """Inference with vLLM.

    Implements :class:`swift.protocol.InferEngine`, :class:`~swift.protocol.engine.WeightLoader` and
    :class:`~swift.protocol.engine.AdapterLoader`.

    Args:
        args: ``InferArguments`` (or a subclass) with the vLLM argument group's fields;
            missing ones take the group's defaults.
        template: A :class:`swift.template.Template` to encode with (default: the
            model's, as ``--template`` / the model type say).
        enable_lora: Reserve vLLM LoRA slots even without ``--adapters`` (to load named
            adapters later); default: only when adapters are given.
        **vllm_overrides: Extra ``AsyncEngineArgs`` fields.
    """

    def __init__(
        self,
        args: Any,
        *,
        template: Any = None,
        enable_lora: bool | None = None,
        **vllm_overrides: Any,
    ) -> None:
        from swift.services import PromptEncoder, load_tokenizer, resolve_model_dir, select_model_record

        self.args = args
        self.model_dir = resolve_model_dir(args)
        self.tokenizer = load_tokenizer(self.model_dir, args)
        if template is None:
            from swift.template import get_template, model_template

            record = select_model_record(
                self.model_dir, model=getattr(args, "model", None), model_type=getattr(args, "model_type", None)
            )
            name = model_template(getattr(args, "template", None), record.template, self.tokenizer)
            template = get_template(name, self.tokenizer, args)
        self.template = template
        # one lock for every use of the tokenizer: fast tokenizers are not thread-safe
        self._prompts_lock = threading.Lock()
        self._prompts = PromptEncoder(template, self.tokenizer, self._prompts_lock)
        self._token_texts: dict[int, str] = {}
        settings = vllm_settings(args)
        self._adapters = AdapterTable(getattr(args, "adapters", None) or [], settings["vllm_max_lora_rank"])
        self.lora_enabled = bool(len(self._adapters)) if enable_lora is None else enable_lora
        self.adapter_names: tuple[str, ...] = self._adapters.names
        self.model_name = os.path.basename(str(getattr(args, "model", None) or self.model_dir).rstrip("/")) or "model"
        self._defaults = GenerationDefaults.from_model_dir(self.model_dir)
        self._stop_ids, self._stops = split_stops(self.tokenizer, template.stop_words)
        if self.tokenizer.eos_token_id is not None:
            self._stop_ids.add(int(self.tokenizer.eos_token_id))
        eargs = engine_args(
            args,
            self.model_dir,
            enable_lora=self.lora_enabled,
            max_loras=max(len(self._adapters), 1),
            **vllm_overrides,
        )
        self._loop = EngineLoop()
        try:
            self._llm = self._loop.call(_start(eargs))
        except Exception as exc:
            self._loop.close()
            raise SwiftError(
                f"vLLM could not start on {self.model_dir}: {type(exc).__name__}: {exc} (vLLM's log above says why)"
            ) from exc
        self.max_model_len: int = self._llm.model_config.max_model_len
        self._vocab_size: int = self._llm.model_config.get_vocab_size()
        self._updates = WeightUpdates(
            self.model_dir,
            lambda payload: self._loop.call(self._reload(payload)),
            self._adapters,
            lambda lora_id: self._loop.call(self._llm.remove_lora(lora_id)),
            self.lora_enabled,
        )

    # ----------------------------------------------------------------- serving
    def infer(
        self,
        requests: Sequence[InferRequest],
        request_config: RequestConfig | None = None,
        *,
        adapter: str | None = None,
    ) -> list[ChatCompletionResponse] | list[Iterator[ChatCompletionStreamResponse]]:
        """Answer ``requests``; all go to vLLM at once and share its batches.

        Returns:
            Responses in request order; with ``stream`` one chunk iterator per request.
        """
        config = request_config or RequestConfig()
        jobs = [self._job(_request(r), config, adapter) for r in requests]
        if config.stream:
            return [self._loop.stream(lambda job=job: self._chunks(job)) for job in jobs]
        return self._loop.call(_gather([self._final(job) for job in jobs]))

    async def infer_async(
        self,
        request: InferRequest,
        request_config: RequestConfig | None = None,
        *,
        adapter: str | None = None,
    ) -> ChatCompletionResponse | AsyncIterator[ChatCompletionStreamResponse]:
        """Answer one request; concurrent calls share vLLM's continuous batch."""
        config = request_config or RequestConfig()
        request = _request(request)
        job = await off_loop_if_long(request, self._job, request, config, adapter)
        if config.stream:
            return self._loop.stream_async(lambda: self._chunks(job))
        return await self._loop.call_async(self._final(job))

    def close(self) -> None:
        """Stop vLLM's engine processes and the engine loop."""
        if getattr(self, "_llm", None) is not None and not self._loop.loop.is_closed():
            self._loop.call(_shutdown(self._llm))
            self._llm = None
        self._loop.close()
        self._updates.close()

    # ----------------------------------------------------------------- weights
    def load_weights(self, named_tensors: Iterable[tuple[str, Any]]) -> int:
        """Copy full weights (plain transformers names) into the served model.

        Names and shapes are checked first (nothing changes on an error); generation
        pauses while the weights are swapped, so no answer mixes old and new weights.

        Returns:
            The number of tensors given.

        Raises:
            InvalidRequestError: An unknown name or a wrong shape.
        """
        return self._updates.load_weights(named_tensors)

    def load_adapter(
        self,
        adapter: str | Mapping[str, Any],
        config: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
    ) -> int:
        """Serve a peft LoRA adapter relative to the original base, replacing the previous one.

        The default adapter (``name=None``) is merged into the weights (``W0 + B·A`` from
        the original base), so rollouts generate at full speed; a named adapter becomes
        a vLLM ``LoRARequest`` (needs LoRA slots: ``--adapters`` at start).

        Returns:
            The number of adapter tensors.
        """
        count = self._updates.load_adapter(adapter, config, name)
        self.adapter_names = self._adapters.names
        return count

    def reset_weights(self) -> int:
        """Serve the checkpoint's own weights again (undo every update); returns how many tensors were restored."""
        return self._updates.reset_weights()

    # ----------------------------------------------------------------- internals
    def _job(self, request: InferRequest, config: RequestConfig, adapter: str | None) -> _Job:
        lora = self._adapters.lookup(adapter)
        self._prompts.check_fits(request, self.max_model_len)
        media = None
        if request.has_media:
            # vLLM runs the model's processor on the media and expands the placeholders itself;
            # the expanded ids (ours, as training saw them) count the prompt's tokens
            engine_ids, prompt_ids, media = self._prompts.encode_media(request)
            if config.echo or config.max_tokens == 0:
                raise InvalidRequestError("echo and max_tokens 0 (prompt scoring) take no images or audio here")
            self._check_media_limits(media)
        else:
            engine_ids = prompt_ids = self._prompts.encode(request)
        if request.prompt_ids is not None:
            check_token_ids(prompt_ids, self._vocab_size, "the prompt has")
        room = self.max_model_len - len(prompt_ids)
        if room < (0 if config.max_tokens == 0 else 1):
            raise InvalidRequestError(
                f"the prompt has {len(prompt_ids)} tokens but the model takes at most "
                f"{self.max_model_len}; shorten the conversation"
            )
        stop_ids, stops = split_stops(self.tokenizer, config.stop)
        params = sampling_params(
            config,
            self._defaults,
            # max_tokens 0 (echo): vLLM generates one token, which the answer drops
            max_tokens=max(1, min(config.max_tokens or room, room)),
            # ignore_eos: only the request's own stops end the answer
            stop=list(dict.fromkeys(stops if config.ignore_eos else [*self._stops, *stops])),
            stop_token_ids=stop_ids if config.ignore_eos else self._stop_ids | stop_ids,
            stream=config.stream,
        )
        want_ids = bool(getattr(config, "return_token_ids", False)) and not config.stream
        builder = ResponseBuilder(
            adapter or self.model_name,
            random_id("chatcmpl"),
            len(prompt_ids),
            config.logprobs,
            config.top_logprobs or 0,
            prompt_ids if want_ids else None,
            decode=functools.partial(self._decode, skip_special_tokens=config.skip_special_tokens),
            token_text=self._token_text,
            stops=params.stop or (),
            end_ids=frozenset(params.stop_token_ids or ()),
            echo=prompt_ids if config.echo else None,
            score_only=config.max_tokens == 0,
        )
        return _Job(engine_ids, params, lora, builder, media)

    def _check_media_limits(self, media: Mapping[str, list[Any]]) -> None:
        """Refuse more items of a modality than vLLM was started for (``--limit_mm_per_prompt``)."""
        config = getattr(self._llm.model_config, "multimodal_config", None)
        if config is None:
            raise InvalidRequestError(f"{self.model_name} is served as a text model: it takes no images or audio")
        for modality, items in media.items():
            limit = config.get_limit_per_prompt(modality)
            if len(items) > limit:
                raise InvalidRequestError(
                    f"{len(items)} {modality}s in the request; the server takes at most {limit} per prompt "
                    "(--limit_mm_per_prompt)"
                )

    def _decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        with self._prompts_lock:
            return self.tokenizer.decode(
                list(ids), skip_special_tokens=skip_special_tokens, clean_up_tokenization_spaces=False
            )

    def _token_text(self, token: int) -> str:
        text = self._token_texts.get(token)
        if text is None:
            with self._prompts_lock:
                text = self.tokenizer.decode([token], skip_special_tokens=False, clean_up_tokenization_spaces=False)
            self._token_texts[token] = text
        return text

    def _generate(self, job: _Job) -> AsyncIterator[Any]:
        from vllm import TokensPrompt

        prompt = TokensPrompt(prompt_token_ids=job.prompt_ids)
        if job.media:
            prompt["multi_modal_data"] = job.media
        return self._llm.generate(prompt, job.params, job.builder.request_id, lora_request=job.lora)

    async def _final(self, job: _Job) -> ChatCompletionResponse:
        final = None
        async for output in self._generate(job):
            final = output
        return job.builder.response(final)

    async def _chunks(self, job: _Job) -> AsyncIterator[ChatCompletionStreamResponse]:
        async for output in self._generate(job):
            chunk = job.builder.chunk(output)
            if chunk is not None:
                yield chunk

    async def _reload(self, payload: bytes) -> None:
        # "wait": running requests finish on the old weights, new ones wait for the new
        await self._llm.pause_generation(mode="wait", clear_cache=True)
        try:
            await self._llm.collective_rpc("swift_load_weights", args=(payload,))
        finally:
            await self._llm.resume_generation()


async def _start(eargs: Any) -> Any:
    # Built on the engine loop: AsyncLLM binds its output handler to the running loop.
    from vllm.v1.engine.async_llm import AsyncLLM

    return AsyncLLM.from_engine_args(eargs)


async def _shutdown(llm: Any) -> None:
    llm.shutdown()


async def _gather(coros: list) -> list:
    import asyncio

    return list(await asyncio.gather(*coros))


def _request(request: Any) -> InferRequest:
    return request if isinstance(request, InferRequest) else InferRequest.from_dict(request)
