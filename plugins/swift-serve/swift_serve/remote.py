"""``--infer_backend openai``: drive any OpenAI-compatible server as a swift engine.

SGLang (``python -m sglang.launch_server``), LMDeploy (``lmdeploy serve api_server``),
``vllm serve``, TGI or another ``swift deploy`` answer ``/v1/chat/completions``; this
engine sends each :class:`~swift.protocol.InferRequest` there, so ``swift infer`` and
``swift sample`` run on them like on a local engine. The server renders the chat
template and reads tool calls itself; this engine only carries requests and answers.

What a chat API cannot carry is refused per request with :class:`InvalidRequestError`:
beam search, ``echo`` on a chat request, and a forced answer start (``response_prefix``).
Sampling settings outside OpenAI's set (``top_k``, ``repetition_penalty``, ``ignore_eos``,
``skip_special_tokens``, ``return_token_ids``) are sent only when they differ from the
default, as the extension fields vLLM, SGLang and swift deploy accept.

Standard library only (``urllib``): nothing to install beyond swift-serve.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from swift.kernel import SwiftError, UsageError
from swift.protocol import (
    ChatCompletionResponse,
    ChatCompletionStreamResponse,
    InferRequest,
    InvalidRequestError,
    RequestConfig,
)

API_KEY_ENVS = ("OPENAI_API_KEY", "SWIFT_API_KEY")
# extensions of OpenAI's sampling fields, sent only when set: (RequestConfig field, default)
_EXTENSIONS = (
    ("top_k", None),
    ("repetition_penalty", None),
    ("ignore_eos", False),
    ("skip_special_tokens", True),
    ("return_token_ids", False),
)


class RemoteServerError(SwiftError):
    """The server failed (5xx, unreachable, an answer that is not OpenAI's shape); reported without a traceback."""


def api_base(url: str) -> str:
    """``url`` as the API root ending in ``/v1`` (``http://host:8000`` and ``…/v1/`` both work)."""
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"--base_url {url!r} must start with http:// or https://")
    return url if url.endswith("/v1") else url + "/v1"


def api_key_of(args: Any) -> str | None:
    """``--api_key``, else ``$OPENAI_API_KEY``, else ``$SWIFT_API_KEY`` (keys stay off the command line)."""
    key = getattr(args, "api_key", None)
    return key or next((os.environ[name] for name in API_KEY_ENVS if os.environ.get(name)), None)


class OpenAIEngine:
    """An engine whose model runs behind an OpenAI-compatible HTTP API.

    Args:
        args: The command's arguments: ``base_url`` (required), ``api_key``, ``model``
            (the served model to use; unset = the first one ``/v1/models`` lists),
            ``request_timeout`` and ``max_concurrency`` (the ``openai`` argument group).

    Attributes:
        model_name: The served model requests go to.
        adapter_names: The server's other models (``adapter=`` picks one, as swift
            deploy and vLLM serve LoRA adapters under their own names).
        template: ``None``: the server applies its chat template.
        tokenizer: ``None``: the server tokenizes.
    """

    template = None
    tokenizer = None

    def __init__(self, args: Any, **_: Any) -> None:
        base_url = getattr(args, "base_url", None)
        if not base_url:
            raise UsageError("--infer_backend openai needs --base_url, the server's address (http://host:port/v1)")
        self.base_url = api_base(base_url)
        self.timeout = float(getattr(args, "request_timeout", 600.0))
        self._headers = {"Content-Type": "application/json"}
        key = api_key_of(args)
        if key:
            self._headers["Authorization"] = f"Bearer {key}"
        self._pool = ThreadPoolExecutor(max_workers=max(1, int(getattr(args, "max_concurrency", 32))))
        served = self._served()
        if not served:
            raise UsageError(f"the server at {self.base_url} lists no models (GET /v1/models)")
        wanted = getattr(args, "model", None)
        if wanted and wanted not in served:
            raise UsageError(
                f"--model {wanted!r} is not served at {self.base_url}; it serves {', '.join(served)} "
                "(leave --model unset to use the first)"
            )
        self.model_name = wanted or served[0]
        self.adapter_names = tuple(m for m in served if m != self.model_name)

    def _served(self) -> list[str]:
        served = [m.get("id") for m in self._call("GET", "/models", timeout=min(self.timeout, 30.0)).get("data", [])]
        return [m for m in served if isinstance(m, str)]

    def refresh(self) -> None:
        """Read the server's models again (adapters another client loaded or unloaded)."""
        self.adapter_names = tuple(m for m in self._served() if m != self.model_name)

    # ------------------------------------------------------------------ transport
    def _open(self, method: str, path: str, body: dict[str, Any] | None, timeout: float) -> Any:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=self._headers)
        try:
            return urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            detail = _error_message(exc.read())
            if exc.code == 401:
                raise UsageError(
                    f"the server at {self.base_url} refused the API key ({detail}); pass --api_key or set "
                    f"${API_KEY_ENVS[0]}"
                ) from None
            if 400 <= exc.code < 500:
                raise InvalidRequestError(
                    f"the server at {self.base_url} refused the request ({exc.code}): {detail}"
                ) from None
            raise RemoteServerError(f"the server at {self.base_url}{path} failed ({exc.code}): {detail}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RemoteServerError(f"cannot reach the server at {self.base_url} ({reason})") from None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None, *, timeout: float) -> dict[str, Any]:
        with self._open(method, path, body, timeout) as response:
            payload = response.read()
        try:
            return json.loads(payload)
        except ValueError:
            raise RemoteServerError(f"the server at {self.base_url}{path} answered with non-JSON text") from None

    # ------------------------------------------------------------------ requests
    def _body(self, request: InferRequest, config: RequestConfig, adapter: str | None) -> tuple[str, dict[str, Any]]:
        if config.num_beams > 1:
            raise InvalidRequestError("--infer_backend openai: beam search (num_beams > 1) is not part of the API")
        if request.response_prefix:
            raise InvalidRequestError(
                "--infer_backend openai cannot start an answer with given text (response_prefix); "
                "the server applies tool_choice itself"
            )
        if adapter is not None and adapter != self.model_name and adapter not in self.adapter_names:
            raise InvalidRequestError(
                f"adapter {adapter!r} is not served at {self.base_url}; it serves "
                f"{', '.join((self.model_name, *self.adapter_names))}"
            )
        body: dict[str, Any] = {"model": adapter or self.model_name, "n": config.n, "stream": config.stream}
        for name in ("max_tokens", "temperature", "top_p", "presence_penalty", "frequency_penalty", "seed"):
            if getattr(config, name) is not None:
                body[name] = getattr(config, name)
        if config.stop:
            body["stop"] = list(config.stop)
        if config.logit_bias:
            body["logit_bias"] = {str(k): v for k, v in config.logit_bias.items()}
        for name, default in _EXTENSIONS:
            if getattr(config, name) != default:
                body[name] = getattr(config, name)
        if config.stream:
            body["stream_options"] = {"include_usage": True}
        if request.prompt is not None or request.prompt_ids is not None:
            if config.logprobs:
                raise InvalidRequestError("--infer_backend openai: logprobs are returned for chat requests only")
            body["prompt"] = request.prompt_ids if request.prompt_ids is not None else request.prompt
            body["echo"] = config.echo
            return "/completions", body
        if config.echo:
            raise InvalidRequestError("--infer_backend openai: echo is a completions option; send a prompt")
        if config.logprobs:
            body["logprobs"] = True
            if config.top_logprobs:
                body["top_logprobs"] = config.top_logprobs
        system, messages = request.split_system()
        body["messages"] = ([{"role": "system", "content": system}] if system is not None else []) + messages
        if request.tools:
            body["tools"] = request.tools
        return "/chat/completions", body

    def _answer(self, request: InferRequest, config: RequestConfig, adapter: str | None) -> ChatCompletionResponse:
        path, body = self._body(request, config, adapter)
        data = self._call("POST", path, body, timeout=self.timeout)
        if path == "/completions":
            data = _completion_as_chat(data)
        if isinstance(data, dict) and data.get("usage") is None:
            data["usage"] = {}  # some servers leave it out
        try:
            return ChatCompletionResponse.from_dict(data)
        except (TypeError, KeyError, ValueError) as exc:
            raise RemoteServerError(
                f"the server at {self.base_url} answered {path} in an unexpected shape: {exc}"
            ) from None

    def _chunks(
        self, request: InferRequest, config: RequestConfig, adapter: str | None
    ) -> Iterator[ChatCompletionStreamResponse]:
        path, body = self._body(request, config, adapter)
        if path == "/completions":
            raise InvalidRequestError("--infer_backend openai streams chat requests only")
        response = self._open("POST", path, body, self.timeout)

        def chunks() -> Iterator[ChatCompletionStreamResponse]:
            with response:
                for raw in response:
                    line = raw.decode("utf-8").strip()
                    if not line.startswith("data:"):
                        continue
                    payload = line[len("data:") :].strip()
                    if payload == "[DONE]":
                        return
                    chunk = json.loads(payload)
                    if "error" in chunk:
                        raise RemoteServerError(f"the server at {self.base_url} failed mid-stream: {chunk['error']}")
                    yield ChatCompletionStreamResponse.from_dict(chunk)

        return chunks()

    # ------------------------------------------------------------------ InferEngine
    def infer(
        self,
        requests: list[InferRequest],
        request_config: RequestConfig | None = None,
        *,
        adapter: str | None = None,
    ) -> list[ChatCompletionResponse] | list[Iterator[ChatCompletionStreamResponse]]:
        """Answer ``requests``, up to ``--max_concurrency`` of them in flight at once, in order."""
        config = request_config or RequestConfig()
        requests = [r if isinstance(r, InferRequest) else InferRequest.from_dict(r) for r in requests]
        if config.stream:
            return [self._chunks(r, config, adapter) for r in requests]
        return list(self._pool.map(lambda r: self._answer(r, config, adapter), requests))

    async def infer_async(
        self,
        request: InferRequest,
        request_config: RequestConfig | None = None,
        *,
        adapter: str | None = None,
    ) -> ChatCompletionResponse | AsyncIterator[ChatCompletionStreamResponse]:
        """Answer one request without blocking the event loop (the HTTP call runs in a thread)."""
        config = request_config or RequestConfig()
        if not config.stream:
            return await asyncio.to_thread(self._answer, request, config, adapter)
        chunks = await asyncio.to_thread(self._chunks, request, config, adapter)
        return _async_iter(chunks)

    # ------------------------------------------------------------------ runtime LoRA (vLLM's API)
    def load_lora_adapter(self, name: str, path: str) -> None:
        """Have the server serve the peft adapter in its folder ``path`` as the model ``name``.

        ``POST /v1/load_lora_adapter`` — ``swift deploy`` with ``SWIFT_ALLOW_RUNTIME_LORA_UPDATING=1``,
        ``vllm serve`` with ``VLLM_ALLOW_RUNTIME_LORA_UPDATING=True``. ``adapter=name`` then selects it.

        Raises:
            InvalidRequestError: The server refused (no such API, the folder unreadable there …).
        """
        self._post_text("/load_lora_adapter", {"lora_name": name, "lora_path": path})
        self.adapter_names = (*self.adapter_names, name)

    def unload_lora_adapter(self, name: str) -> None:
        """Have the server stop serving adapter ``name`` (``POST /v1/unload_lora_adapter``)."""
        self._post_text("/unload_lora_adapter", {"lora_name": name})
        self.adapter_names = tuple(n for n in self.adapter_names if n != name)

    def _post_text(self, path: str, body: dict[str, Any]) -> str:
        try:
            with self._open("POST", path, body, self.timeout) as response:
                return response.read().decode("utf-8", "replace")
        except InvalidRequestError as exc:
            if "(404)" in str(exc):
                raise InvalidRequestError(
                    f"{exc} — the server has no runtime LoRA API: start swift deploy with "
                    "SWIFT_ALLOW_RUNTIME_LORA_UPDATING=1 (vllm serve: VLLM_ALLOW_RUNTIME_LORA_UPDATING=True)"
                ) from None
            raise

    def close(self) -> None:
        """Stop the request threads; the server is left running."""
        self._pool.shutdown(wait=False, cancel_futures=True)


async def _async_iter(chunks: Iterator[ChatCompletionStreamResponse]) -> AsyncIterator[ChatCompletionStreamResponse]:
    done = object()
    while True:
        chunk = await asyncio.to_thread(next, chunks, done)
        if chunk is done:
            return
        yield chunk


def _error_message(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    try:
        error = json.loads(text).get("error")
    except (ValueError, AttributeError):
        return text[:500]
    if isinstance(error, dict):
        return str(error.get("message", error))[:500]
    return str(error or text)[:500]


def _completion_as_chat(data: dict[str, Any]) -> dict[str, Any]:
    """A ``/v1/completions`` answer in the chat response shape the engine contract returns."""
    choices = [
        {
            "index": c.get("index", i),
            "message": {"role": "assistant", "content": c.get("text", "")},
            "finish_reason": c.get("finish_reason"),
            "token_ids": c.get("token_ids"),
        }
        for i, c in enumerate(data.get("choices", []))
    ]
    return {**data, "choices": choices, "object": "chat.completion"}
