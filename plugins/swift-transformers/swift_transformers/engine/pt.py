"""``PtEngine``: the ``pt`` (transformers) inference engine.

Loads the model, tokenizer, template and adapters from ``InferArguments`` and
answers :class:`~swift.protocol.InferRequest` objects with ``model.generate``.
All generation happens on one worker thread that batches whatever requests
are waiting (see :mod:`swift_transformers.engine.batching`), so concurrent
``infer_async`` calls from a server share ``generate`` calls. Weight updates
(``load_weights``, ``load_adapter``: :mod:`swift.protocol.engine`) pause that worker
between batches, so no answer mixes old and new weights.

Example::

    engine = PtEngine(InferArguments(model="Qwen/Qwen2.5-0.5B-Instruct", max_batch_size=16))
    [resp] = engine.infer([InferRequest(messages=[{"role": "user", "content": "hi"}])],
                          RequestConfig(max_tokens=64, temperature=0))
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from typing import Any

from swift.protocol import (
    ChatCompletionResponse,
    ChatCompletionStreamResponse,
    InferRequest,
    InvalidRequestError,
    RequestConfig,
    random_id,
)
from swift.services import PromptEncoder, adapter_tuner, load_model, split_stops
from swift.services.prompts import check_token_ids, off_loop_if_long
from swift.template import get_template, model_template
from swift_transformers.engine.adapters import AdapterSet
from swift_transformers.engine.batching import BatchScheduler, Job
from swift_transformers.engine.generation import BatchRunner, JobSpec, SamplingParams
from swift_transformers.engine.sinks import AsyncFutureSink, AsyncQueueSink, FutureSink, QueueSink
from swift_transformers.engine.weights import adapter_folder, load_weights

# Used when neither the request nor the model config bounds the answer.
FALLBACK_MAX_TOKENS = 2048
# A temperature below this is greedy decoding (as in vLLM): dividing logits by 1e-300
# turns them into inf/NaN probabilities.
MIN_TEMPERATURE = 1e-5


class PtEngine:
    """Inference with transformers' ``generate``; implements :class:`swift.protocol.InferEngine`.

    Args:
        args: ``InferArguments`` (or a subclass): model flags, template, adapters,
            ``max_batch_size``.
        model: An already loaded model (then ``tokenizer`` and ``template`` too);
            trainers pass theirs to generate without loading twice.
        tokenizer: Its tokenizer.
        template: A :class:`swift.template.Template` bound to the tokenizer.
        max_batch_size: Overrides ``args.max_batch_size`` (most sequences per
            ``generate`` call).
    """

    def __init__(
        self,
        args: Any,
        *,
        model: Any = None,
        tokenizer: Any = None,
        template: Any = None,
        max_batch_size: int | None = None,
    ):
        self.args = args
        template_name = getattr(args, "template", None)
        if model is None:
            model, tokenizer, record = load_model(args)
            template_name = model_template(template_name, record.template, tokenizer)
        if template is None:
            template = get_template(template_name, tokenizer, args)
        self._adapters = AdapterSet(
            model, list(getattr(args, "adapters", None) or []), adapter_tuner(getattr(args, "train_type", None))
        )
        self.model = self._adapters.model
        self.model.eval()
        self.tokenizer = tokenizer
        self.template = template
        self.model_name = _model_name(args, model)
        self.adapter_names: tuple[str, ...] = self._adapters.names
        self.max_model_len: int | None = getattr(model.config, "max_position_embeddings", None)
        head = model.get_output_embeddings()
        self._vocab_size = int(head.weight.shape[0] if head is not None else model.config.vocab_size)
        self._lock = threading.Lock()  # fast tokenizers must not be used by two threads at once
        self._prompts = PromptEncoder(template, tokenizer, self._lock)
        self._token_texts: dict[int, str] = {}
        self._end_ids, self._stops = split_stops(self.tokenizer, getattr(template, "stop_words", None) or ())
        self._end_ids |= _eos_ids(model, tokenizer)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else min(self._end_ids, default=0)
        self._runner = runner = BatchRunner(
            self.model,
            self._decode,
            self._token_text,
            pad,
            frozenset(self._end_ids),
            self._adapters.activate,
        )
        size = max_batch_size or getattr(args, "max_batch_size", None) or 1
        self._scheduler = BatchScheduler(runner, size)
        self._updating = threading.Lock()  # one weight update at a time
        self._classifier = self._make_classifier(model, pad, size)

    def _make_classifier(self, model: Any, pad: int, size: int) -> Any:
        # a sequence classifier (--task_type seq_cls) answers with label probabilities, not text
        from swift_transformers.models.tasks import model_task

        task = model_task(model)
        if task is None:
            return None
        from swift_transformers.engine.classify import Classifier

        return Classifier(
            self._adapters,
            self.template,
            self.tokenizer,
            task,
            pad_id=pad,
            model_name=self.model_name,
            max_model_len=self.max_model_len,
            max_batch_size=size,
        )

    @property
    def max_batch_size(self) -> int:
        """Most sequences one ``generate`` call takes."""
        return self._scheduler.max_batch_size

    # ----------------------------------------------------------------- public API
    def infer(
        self,
        requests: Sequence[InferRequest],
        request_config: RequestConfig | None = None,
        *,
        adapter: str | None = None,
    ) -> list[ChatCompletionResponse] | list[Iterator[ChatCompletionStreamResponse]]:
        """Answer ``requests`` in batches of up to ``max_batch_size`` sequences.

        Returns:
            Responses in request order; with ``stream`` one chunk iterator per request.
        """
        config = request_config or RequestConfig()
        if self._classifier is not None:
            responses = self._classifier.answer([_request(r) for r in requests], config, adapter)
            return [self._classifier.stream(r) for r in responses] if config.stream else responses
        sinks = [QueueSink() if config.stream else FutureSink() for _ in requests]
        jobs = [self._job(_request(r), config, adapter, s) for r, s in zip(requests, sinks)]
        self._scheduler.submit(jobs)
        if config.stream:
            return [iter(s) for s in sinks]
        return [s.future.result() for s in sinks]

    async def infer_async(
        self,
        request: InferRequest,
        request_config: RequestConfig | None = None,
        *,
        adapter: str | None = None,
    ) -> ChatCompletionResponse | AsyncIterator[ChatCompletionStreamResponse]:
        """Answer one request; requests waiting together share a ``generate`` call."""
        loop = asyncio.get_running_loop()
        config = request_config or RequestConfig()
        if self._classifier is not None:
            [response] = await asyncio.to_thread(self._classifier.answer, [_request(request)], config, adapter)
            return _aiter(self._classifier.stream(response)) if config.stream else response
        sink = AsyncQueueSink(loop) if config.stream else AsyncFutureSink(loop)
        request = _request(request)
        self._scheduler.submit([await off_loop_if_long(request, self._job, request, config, adapter, sink)])
        if config.stream:
            return sink.iterate()
        return await sink.future

    def close(self) -> None:
        """Finish queued requests and stop the worker thread."""
        self._scheduler.close()

    def load_weights(self, named_tensors: Iterable[tuple[str, Any]]) -> int:
        """Copy full weights (plain transformers names) into the live model; see :class:`swift.protocol.WeightLoader`.

        Waits for the running batch to finish.
        """
        with self._updating, self._quiet():
            return load_weights(self.model, named_tensors)

    def load_adapter(
        self,
        adapter: str | Mapping[str, Any],
        config: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
    ) -> int:
        """Replace the adapter served as ``name`` (None = the default one) by a peft LoRA relative to the original base.

        See :class:`swift.protocol.AdapterLoader`.
        """
        with self._updating, adapter_folder(adapter, config) as folder:
            with self._quiet():
                count = self._adapters.replace(folder, name)
                # the first adapter wraps the model in a peft model
                self.model = self._runner.model = self._adapters.model
                self.adapter_names = self._adapters.names
        return count

    def unload_adapter(self, name: str) -> None:
        """Stop serving adapter ``name`` (`swift deploy`'s `/v1/unload_lora_adapter`); waits for the running batch."""
        with self._updating, self._quiet():
            self._adapters.remove(name)
            self.adapter_names = self._adapters.names

    # ----------------------------------------------------------------- internals
    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        """No generation batch and no classifier forward runs in the body."""
        with self._scheduler.paused():
            if self._classifier is None:
                yield
            else:
                with self._classifier.lock:
                    yield

    def encode(self, request: InferRequest) -> list[int]:
        """Prompt token ids of ``request`` through the template (raw ``prompt``: no chat markup)."""
        return self._prompts.encode(request)

    def sampling_params(self, config: RequestConfig) -> SamplingParams:
        """Concrete sampling settings: the request's, else the model's generation config."""
        gen = self.model.generation_config
        temperature = config.temperature
        if temperature is None:
            temperature = (gen.temperature or 1.0) if gen.do_sample else 0.0
        do_sample = temperature >= MIN_TEMPERATURE
        return SamplingParams(
            do_sample=do_sample,
            temperature=temperature if do_sample else None,
            top_k=(config.top_k if config.top_k is not None else gen.top_k) if do_sample else None,
            top_p=(config.top_p if config.top_p is not None else gen.top_p) if do_sample else None,
            repetition_penalty=config.repetition_penalty or gen.repetition_penalty,
            num_beams=config.num_beams,
            seed=config.seed,
            presence_penalty=config.presence_penalty or 0.0,
            frequency_penalty=config.frequency_penalty or 0.0,
            logit_bias=tuple(sorted((config.logit_bias or {}).items())),
            ignore_eos=config.ignore_eos,
        )

    def _job(self, request: InferRequest, config: RequestConfig, adapter: str | None, sink: Any) -> Job:
        self._adapters.check(adapter)
        check_token_ids(config.logit_bias or (), self._vocab_size, "logit_bias names")
        self._prompts.check_fits(request, self.max_model_len)
        prompt_ids, media = self._prompts.encode_features(request)
        if media and (config.echo or config.num_beams > 1):
            raise InvalidRequestError("echo and beam search are not run on requests with images yet")
        if request.prompt_ids is not None:
            check_token_ids(prompt_ids, self._vocab_size, "the prompt has")
        request_end_ids, request_stops = split_stops(self.tokenizer, config.stop)
        params = self.sampling_params(config)
        spec = JobSpec(
            config=config,
            params=params,
            adapter=adapter,
            limit=self._limit(len(prompt_ids), config.max_tokens),
            # ignore_eos: only the request's own stops end the answer
            stops=tuple(request_stops) if config.ignore_eos else tuple(self._stops) + tuple(request_stops),
            model_name=self.model_name,
            request_id=random_id("chatcmpl"),
            end_ids=frozenset(request_end_ids if config.ignore_eos else self._end_ids | request_end_ids),
            media=media,
        )
        # echoed prompts get a scoring pass, and max_tokens 0 skips generation: batch them apart;
        # a request with images runs alone (its tensors are its own)
        key = (adapter, params, config.echo, spec.limit == 0, id(spec) if media else None)
        return Job(prompt_ids, key, config.n, spec, sink)

    def _limit(self, prompt_len: int, max_tokens: int | None) -> int:
        # max_tokens 0 (echo: score the prompt only) generates nothing, but the prompt must still fit
        if self.max_model_len is None:
            return FALLBACK_MAX_TOKENS if max_tokens is None else max_tokens
        room = self.max_model_len - prompt_len
        if room < (0 if max_tokens == 0 else 1):
            raise InvalidRequestError(
                f"the prompt has {prompt_len} tokens but the model takes at most "
                f"{self.max_model_len}; shorten the conversation"
            )
        return min(room if max_tokens is None else max_tokens, room)

    def _decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        with self._lock:
            return self.tokenizer.decode(
                list(ids), skip_special_tokens=skip_special_tokens, clean_up_tokenization_spaces=False
            )

    def _token_text(self, token: int) -> str:
        text = self._token_texts.get(token)
        if text is None:
            with self._lock:
                text = self.tokenizer.decode([token], skip_special_tokens=False, clean_up_tokenization_spaces=False)
            self._token_texts[token] = text
        return text


async def _aiter(chunks: Iterable[Any]) -> AsyncIterator[Any]:
    for chunk in chunks:
        yield chunk


def _request(request: Any) -> InferRequest:
    return request if isinstance(request, InferRequest) else InferRequest.from_dict(request)


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    ids: set[int] = set()
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if eos is not None:
        ids.update(eos if isinstance(eos, (list, tuple)) else [eos])
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    return ids


def _model_name(args: Any, model: Any) -> str:
    name = getattr(args, "model", None) or getattr(model.config, "_name_or_path", "") or "model"
    return os.path.basename(str(name).replace("\\", "/").rstrip("/")) or "model"
