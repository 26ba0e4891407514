"""OpenAI request bodies → ``InferRequest`` + ``RequestConfig`` of :mod:`swift.protocol`.

Bodies are checked by hand rather than with pydantic models: the protocol is
plain dataclasses shared with every engine, and hand-written checks let every
mistake come back as one OpenAI-shaped 400 naming the field and the fix.
Fields a client leaves out are filled from the server's generation flags
(``--max_new_tokens``, ``--temperature`` …), as ms-swift does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from swift.protocol import InferRequest, RequestConfig
from swift.protocol.requests import InvalidConfigError
from swift_serve.errors import bad_request


@dataclass
class ParsedRequest:
    """What a chat or completions body asks for.

    Attributes:
        model: The ``model`` field (None when the client sent none).
        requests: The conversations to answer: one for chat, one per prompt for completions.
        config: Generation settings (client fields over the server's defaults).
        include_usage: ``stream_options.include_usage``: end a stream with a usage chunk.
    """

    model: str | None
    requests: list[InferRequest]
    config: RequestConfig
    include_usage: bool = False


def _get(body: dict, key: str, kinds: tuple[type, ...], what: str) -> Any:
    value = body.get(key)
    if value is None:
        return None
    # bool is an int in Python, but `"n": true` is a client bug worth reporting.
    if isinstance(value, bool) and bool not in kinds:
        raise bad_request(f"'{key}' must be {what}, got {value!r}", key)
    if not isinstance(value, kinds):
        raise bad_request(f"'{key}' must be {what}, got {type(value).__name__} {value!r}", key)
    return value


def _int(body: dict, key: str) -> int | None:
    return _get(body, key, (int,), "an integer")


def _number(body: dict, key: str) -> float | None:
    value = _get(body, key, (int, float), "a number")
    return None if value is None else float(value)


def _stop(body: dict) -> list[str]:
    stop = _get(body, "stop", (str, list), "a string or a list of strings")
    if stop is None:
        return []
    stops = [stop] if isinstance(stop, str) else stop
    if not all(isinstance(s, str) for s in stops):
        raise bad_request("'stop' must be a string or a list of strings", "stop")
    return stops


def _config(
    body: dict,
    defaults: RequestConfig | None,
    max_logprobs: int,
    *,
    logprobs: bool,
    top_logprobs: int | None,
) -> RequestConfig:
    max_tokens = _int(body, "max_completion_tokens")
    if max_tokens is None:
        max_tokens = _int(body, "max_tokens")
    top_k = _int(body, "top_k")
    if top_logprobs is not None and top_logprobs > max_logprobs:
        raise bad_request(
            f"{top_logprobs} log probabilities per token were asked for, but this server returns "
            f"at most {max_logprobs} (--max_logprobs)",
            "top_logprobs",
        )
    values: dict[str, Any] = {
        "max_tokens": max_tokens,
        "temperature": _number(body, "temperature"),
        # -1 is how vLLM-style clients say "no top-k".
        "top_k": None if top_k == -1 else top_k,
        "top_p": _number(body, "top_p"),
        "repetition_penalty": _number(body, "repetition_penalty"),
        "stop": _stop(body),
        "stream": bool(_get(body, "stream", (bool,), "true or false")),
        "seed": _int(body, "seed"),
        "logprobs": logprobs,
        "top_logprobs": top_logprobs,
        # vLLM's extension: prompt_token_ids and each choice's sampled token_ids
        "return_token_ids": bool(_get(body, "return_token_ids", (bool,), "true or false")),
    }
    n = _int(body, "n")
    if n is not None:
        values["n"] = n
    try:
        return RequestConfig(**values).with_defaults(defaults)
    except InvalidConfigError as exc:
        raise bad_request(str(exc), exc.params[0]) from exc
    except ValueError as exc:
        raise bad_request(str(exc)) from exc


def _include_usage(body: dict) -> bool:
    options = _get(body, "stream_options", (dict,), "an object")
    if not options:
        return False
    if not body.get("stream"):
        raise bad_request("'stream_options' is only allowed with \"stream\": true", "stream_options")
    return bool(options.get("include_usage"))


def _model(body: dict) -> str | None:
    return _get(body, "model", (str,), "a string (a name from GET /v1/models)")


def parse_chat(body: Any, defaults: RequestConfig | None, max_logprobs: int) -> ParsedRequest:
    """Read a ``POST /v1/chat/completions`` body.

    Raises:
        APIError: 400 naming the field at fault.
    """
    body = _object(body)
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise bad_request(
            '\'messages\' is required: a non-empty list like [{"role": "user", "content": "hi"}]',
            "messages",
        )
    tools = _get(body, "tools", (list,), "a list of tool definitions")
    try:
        request = InferRequest(messages=messages, tools=tools or None)
    except (ValueError, TypeError) as exc:
        raise bad_request(str(exc), "messages") from exc
    logprobs = bool(_get(body, "logprobs", (bool,), "true or false"))
    top_logprobs = _int(body, "top_logprobs")
    if top_logprobs and not logprobs:
        raise bad_request("'top_logprobs' needs \"logprobs\": true", "top_logprobs")
    config = _config(body, defaults, max_logprobs, logprobs=logprobs, top_logprobs=top_logprobs)
    return ParsedRequest(_model(body), [request], config, _include_usage(body))


def parse_completion(body: Any, defaults: RequestConfig | None, max_logprobs: int) -> ParsedRequest:
    """Read a ``POST /v1/completions`` body; prompts are used as raw text (no chat template).

    Raises:
        APIError: 400 naming the field at fault.
    """
    body = _object(body)
    prompt = body.get("prompt")
    prompts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) for p in prompts):
        raise bad_request("'prompt' is required: a string or a non-empty list of strings", "prompt")
    for unsupported in ("echo", "suffix"):
        if body.get(unsupported):
            raise bad_request(f"'{unsupported}' is not supported by this server", unsupported)
    # The legacy API's `logprobs` is the number of alternatives per token.
    top_logprobs = _int(body, "logprobs")
    config = _config(body, defaults, max_logprobs, logprobs=top_logprobs is not None, top_logprobs=top_logprobs)
    if config.stream and len(prompts) > 1:
        raise bad_request("streaming takes one prompt per request; send the prompts separately", "prompt")
    requests: list[InferRequest] = [InferRequest.completion(p) for p in prompts]
    return ParsedRequest(_model(body), requests, config, _include_usage(body))


def _object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise bad_request(f"the request body must be a JSON object, got {type(body).__name__}")
    return body
