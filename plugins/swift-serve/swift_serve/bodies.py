"""Request bodies → ``InferRequest`` + ``RequestConfig`` of :mod:`swift.protocol`, within limits.

Three steps, each a 4xx naming the field and the limit when it fails:

1. :func:`read_body` reads at most ``--max_request_bytes`` (413 past it, without
   reading the rest);
2. :func:`parse_json` decodes JSON no deeper than ``--max_json_depth`` whose
   strings are valid Unicode (a lone surrogate cannot be tokenized);
3. the typed models of :mod:`swift_serve.schemas` validate every field, then the
   operator's limits (``--max_n``, ``--max_prompts``, ``--max_messages``,
   ``--max_logprobs``) and the model's context bound ``max_tokens``.

Fields a client leaves out are filled from the server's generation flags
(``--max_new_tokens``, ``--temperature`` …), as ms-swift does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from swift.arguments.infer import size_bytes
from swift.kernel.errors import closest
from swift.protocol import InferRequest, RequestConfig
from swift.protocol.requests import InvalidConfigError
from swift_serve.errors import APIError, bad_request
from swift_serve.schemas import ChatCompletionRequest, CompletionRequest, Message

M = TypeVar("M", bound=BaseModel)

# OpenAI's (and vLLM's) default max_tokens of the legacy completions API: without it a
# thousand prompts would each run to the end of the context.
COMPLETIONS_MAX_TOKENS = 16

# Why a field the models refuse is refused, when "not a valid value" would not say it.
UNSERVED = {
    "response_format": 'only {"type": "text"} is served; structured output (json_object, json_schema) is not '
    "implemented by this server",
    "tool_choice": '"auto", "none", "required" or {"type": "function", "function": {"name": ...}}',
    "suffix": "suffix (insertion) is not supported by this server",
}


@dataclass(frozen=True)
class RequestRules:
    """What the server accepts: its limits and the defaults of unset fields.

    Attributes:
        defaults: Generation settings from the server's flags.
        max_request_bytes: Largest body (``--max_request_bytes``).
        max_json_depth: Deepest JSON nesting.
        max_n: Most answers per request.
        max_prompts: Most prompts per completions request (requests per ``/infer``).
        max_messages: Most messages per conversation.
        max_logprobs: Most alternatives per token.
        context: The model's context length in tokens (None = unknown).
        max_images: Most images per conversation.
        allow_remote_media: Images may be http(s) URLs or local files; else ``data:`` URLs only.
    """

    defaults: RequestConfig | None = None
    max_request_bytes: int = 16 * 2**20
    max_json_depth: int = 32
    max_n: int = 128
    max_prompts: int = 1024
    max_messages: int = 1024
    max_logprobs: int = 20
    context: int | None = None
    max_images: int = 16
    allow_remote_media: bool = False

    @classmethod
    def from_args(cls, args: Any, defaults: RequestConfig | None, context: int | None) -> RequestRules:
        """The rules ``DeployArguments`` set."""
        base = cls()
        return cls(
            defaults=defaults,
            max_request_bytes=size_bytes(getattr(args, "max_request_bytes", base.max_request_bytes)),
            max_json_depth=int(getattr(args, "max_json_depth", base.max_json_depth)),
            max_n=int(getattr(args, "max_n", base.max_n)),
            max_prompts=int(getattr(args, "max_prompts", base.max_prompts)),
            max_messages=int(getattr(args, "max_messages", base.max_messages)),
            max_logprobs=int(getattr(args, "max_logprobs", base.max_logprobs) or 0),
            context=context,
            max_images=int(getattr(args, "max_images", base.max_images)),
            allow_remote_media=bool(getattr(args, "allow_remote_media", False)),
        )


@dataclass
class ParsedRequest:
    """What a chat or completions body asks for.

    Attributes:
        model: The ``model`` field (None when the client sent none).
        requests: The conversations to answer: one for chat, one per prompt for completions.
        config: Generation settings (client fields over the server's defaults).
        include_usage: ``stream_options.include_usage``: end a stream with a usage chunk.
        tool_choice: ``auto``, ``required`` or ``{"type": "function", "function": {"name"}}``
            of a chat request with tools (``none`` removes the tools instead).
    """

    model: str | None
    requests: list[InferRequest]
    config: RequestConfig
    include_usage: bool = False
    tool_choice: Any = None


def too_large(what: str, limit: int, flag: str) -> APIError:
    """A 413 for a body over ``limit`` bytes."""
    return APIError(413, f"the {what} is larger than {limit} bytes ({flag})", code="request_too_large")


async def read_body(request: Any, limit: int, flag: str = "--max_request_bytes") -> bytes:
    """The body of ``request``, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large("request body", limit, flag)
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise too_large("request body", limit, flag)
        parts.append(part)
    return b"".join(parts)


def parse_json(raw: bytes, max_depth: int) -> Any:
    """``raw`` as JSON: at most ``max_depth`` levels deep, every string valid Unicode.

    Raises:
        APIError: 400 saying what is wrong.
    """
    try:
        value = json.loads(raw)
    except RecursionError:
        raise bad_request(f"the request body nests JSON deeper than {max_depth} levels (--max_json_depth)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"the request body is not valid JSON: {exc}") from None
    _check_json(value, max_depth)
    return value


def _check_json(value: Any, max_depth: int) -> None:
    # iterative: a deep document must not exhaust the interpreter's stack here either
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, (dict, list)):
            if depth > max_depth:
                raise bad_request(f"the request body nests JSON deeper than {max_depth} levels (--max_json_depth)")
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_text(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def _check_text(text: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise bad_request(
                "the request body holds a string with a lone UTF-16 surrogate (such as \\ud800), which is not text"
            ) from None


def validate(model: type[M], body: Any) -> M:
    """``body`` validated by ``model``.

    Raises:
        APIError: 400 naming the first field at fault (and the closest known name for an unknown field).
    """
    if not isinstance(body, dict):
        raise bad_request(f"the request body must be a JSON object, got {type(body).__name__}")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise _field_error(model, exc) from None


def _field_error(model: type[BaseModel], exc: ValidationError) -> APIError:
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    # of a union's failed branches, the one that got deepest is the one the client meant
    # and at equal depth, a value out of range says more than "not a string" from another branch
    error = max(errors, key=lambda e: (len(e["loc"]), not e["type"].endswith("_type"), e["type"] != "extra_forbidden"))
    loc = [str(part) for part in error["loc"]]
    # the union member tried last ("str", "list[...]") says nothing the message does not
    path = [
        p for p in loc if not p.startswith(("list[", "str", "int", "float", "bool", "constrained-", "function-", "["))
    ]
    field = ".".join(path) or "body"
    top = path[0] if path else None
    if error["type"] == "extra_forbidden":
        known = _field_names(model, path[:-1])
        close = closest(path[-1], known)
        hint = f"; did you mean {close!r}?" if close else f"; known fields: {', '.join(sorted(known))}"
        return bad_request(f"{field!r} is not a field of this request{hint}", field)
    if error["type"] == "missing":
        return bad_request(f"{field!r} is required", field)
    if top in UNSERVED:
        return bad_request(f"{field!r}: {UNSERVED[top]}", top)
    if top == "logit_bias":
        return bad_request(f"{field!r}: logit_bias maps token ids (as strings of digits) to a bias in [-100, 100]", top)
    if "content" in path and (path[-1] == "type" or error["type"] == "union_tag_invalid"):
        return bad_request(
            f'{field!r}: content parts are {{"type": "text"}}, {{"type": "image_url", "image_url": {{"url": ...}}}}, '
            '{"type": "video_url", "video_url": {"url": ...}} or {"type": "input_audio", "input_audio": {"data": ...}}',
            field,
        )
    return bad_request(f"{field!r}: {error['msg']}", field)


def _field_names(model: type[BaseModel], path: list[str]) -> list[str]:
    # messages.0.x → the fields of Message; anything else → the request's own fields
    if path and path[0] == "messages":
        return list(Message.model_fields)
    return list(model.model_fields)


def _config(
    fields: Any,
    rules: RequestRules,
    *,
    logprobs: bool,
    top_logprobs: int | None,
    echo: bool = False,
    offers_tools: bool = False,
) -> RequestConfig:
    max_tokens = getattr(fields, "max_completion_tokens", None) or fields.max_tokens
    if rules.context is not None and max_tokens is not None and max_tokens > rules.context:
        raise bad_request(
            f"'max_tokens' is {max_tokens}, more than the model's context of {rules.context} tokens", "max_tokens"
        )
    if fields.n is not None and fields.n > rules.max_n:
        raise bad_request(f"'n' is {fields.n}; this server gives at most {rules.max_n} answers (--max_n)", "n")
    if top_logprobs is not None and top_logprobs > rules.max_logprobs:
        raise bad_request(
            f"{top_logprobs} log probabilities per token were asked for, but this server returns "
            f"at most {rules.max_logprobs} (--max_logprobs)",
            "top_logprobs",
        )
    values: dict[str, Any] = {
        "max_tokens": max_tokens,
        "temperature": fields.temperature,
        # -1 is how vLLM-style clients say "no top-k".
        "top_k": None if fields.top_k == -1 else fields.top_k,
        "top_p": fields.top_p,
        "repetition_penalty": fields.repetition_penalty,
        "presence_penalty": fields.presence_penalty,
        "frequency_penalty": fields.frequency_penalty,
        "logit_bias": fields.logit_bias,
        "stop": [fields.stop] if isinstance(fields.stop, str) else list(fields.stop or []),
        "stream": bool(fields.stream),
        "seed": fields.seed,
        "logprobs": logprobs,
        "top_logprobs": top_logprobs,
        "return_token_ids": bool(fields.return_token_ids),
        "ignore_eos": bool(fields.ignore_eos),
        # a tool format's markers may be special tokens (Mistral, DeepSeek): keep them to read calls
        "skip_special_tokens": not offers_tools if fields.skip_special_tokens is None else fields.skip_special_tokens,
        "echo": echo,
    }
    if fields.n is not None:
        values["n"] = fields.n
    try:
        return RequestConfig(**values).with_defaults(rules.defaults)
    except InvalidConfigError as exc:
        raise bad_request(str(exc), exc.params[0]) from exc


def _include_usage(fields: Any) -> bool:
    if fields.stream_options is None:
        return False
    if not fields.stream:
        raise bad_request("'stream_options' is only allowed with \"stream\": true", "stream_options")
    return fields.stream_options.include_usage


def messages_of(messages: list[Message], rules: RequestRules) -> list[dict[str, Any]]:
    """Validated messages as the protocol's dicts, within ``--max_messages``."""
    if len(messages) > rules.max_messages:
        raise bad_request(
            f"'messages' has {len(messages)} messages; this server takes at most {rules.max_messages} (--max_messages)",
            "messages",
        )
    out = []
    for message in messages:
        item = message.model_dump(exclude_none=True, include={"role", "content", "name", "tool_calls", "tool_call_id"})
        # "developer" is OpenAI's newer name of the system role
        if item["role"] == "developer":
            item["role"] = "system"
        out.append(item)
    return out


def check_media(request: InferRequest, rules: RequestRules) -> None:
    """At most ``--max_images`` images (as many videos, audios), only ``data:`` URLs unless ``--allow_remote_media``.

    Raises:
        APIError: 400 naming ``messages``.
    """
    for kind, media in (("image", request.images), ("video", request.videos), ("audio", request.audios)):
        if len(media) > rules.max_images:
            raise bad_request(
                f"the conversation has {len(media)} {kind}s; this server takes at most {rules.max_images} "
                "(--max_images; it bounds videos and audios too)",
                "messages",
            )
        if rules.allow_remote_media:
            continue
        for item in media:
            if not (isinstance(item, str) and item.startswith("data:")):
                shown = item if isinstance(item, str) and len(item) <= 60 else f"{str(item)[:57]}..."
                raise bad_request(
                    f"{kind} {shown!r}: this server takes {kind}s as data: URLs only (it fetches and reads nothing "
                    "unless started with --allow_remote_media)",
                    "messages",
                )


def parse_chat(body: Any, rules: RequestRules) -> ParsedRequest:
    """Read a ``POST /v1/chat/completions`` body.

    Raises:
        APIError: 400 naming the field at fault.
    """
    fields = validate(ChatCompletionRequest, body)
    try:
        request = InferRequest(messages=messages_of(fields.messages, rules), tools=fields.tools or None)
    except (ValueError, TypeError) as exc:
        raise bad_request(str(exc), "messages") from exc
    check_media(request, rules)
    if fields.top_logprobs and not fields.logprobs:
        raise bad_request("'top_logprobs' needs \"logprobs\": true", "top_logprobs")
    tool_choice = _tool_choice(fields)
    if tool_choice == "none":
        request.tools = None  # "none": the model is not offered the tools
    config = _config(
        fields,
        rules,
        logprobs=bool(fields.logprobs),
        top_logprobs=fields.top_logprobs,
        offers_tools=bool(request.tools),
    )
    return ParsedRequest(fields.model, [request], config, _include_usage(fields), tool_choice)


def _tool_choice(fields: Any) -> Any:
    """``tool_choice`` checked against ``tools``: a named function must be one of them."""
    from swift.template import TemplateError
    from swift.template.conversation import parse_tools, tool_name

    try:
        tools = parse_tools(fields.tools) or ()
    except TemplateError as exc:
        raise bad_request(str(exc), "tools") from exc
    choice = fields.tool_choice
    if choice is None or choice == "none":
        return choice
    if not tools and choice != "auto":
        raise bad_request(f"'tool_choice' {choice!r} needs 'tools'", "tool_choice")
    if not isinstance(choice, str):
        name = choice.function.name
        names = [tool_name(t) for t in tools]
        if name not in names:
            raise bad_request(
                f"'tool_choice' names function {name!r}, which is not in 'tools' ({', '.join(names)})", "tool_choice"
            )
        return choice.model_dump()
    return choice


def parse_completion(body: Any, rules: RequestRules) -> ParsedRequest:
    """Read a ``POST /v1/completions`` body; prompts are used as raw text (no chat template).

    Raises:
        APIError: 400 naming the field at fault.
    """
    fields = validate(CompletionRequest, body)
    prompt = fields.prompt
    # a string, or a list of token ids, is one prompt; a list of those is several
    prompts = [prompt] if isinstance(prompt, str) or (prompt and isinstance(prompt[0], int)) else prompt
    if not prompts:
        raise bad_request("'prompt' is required: a string or a non-empty list of strings", "prompt")
    if len(prompts) > rules.max_prompts:
        raise bad_request(
            f"'prompt' has {len(prompts)} prompts; this server takes at most {rules.max_prompts} per request "
            "(--max_prompts)",
            "prompt",
        )
    answers = len(prompts) * (fields.n or 1)
    if answers > rules.max_prompts:
        raise bad_request(
            f"{len(prompts)} prompts × n={fields.n} ask for {answers} answers; this server gives at most "
            f"{rules.max_prompts} per request (--max_prompts)",
            "n",
        )
    if fields.best_of is not None and fields.best_of != (fields.n or 1):
        raise bad_request("'best_of' other than n is not supported by this server", "best_of")
    # The legacy API's `logprobs` is the number of alternatives per token.
    if fields.max_tokens == 0 and not fields.echo:
        raise bad_request("'max_tokens' 0 is only allowed with \"echo\": true (scoring the prompt)", "max_tokens")
    if fields.echo and fields.stream:
        raise bad_request("'echo' is not supported with \"stream\": true", "echo")
    config = _config(
        fields, rules, logprobs=fields.logprobs is not None, top_logprobs=fields.logprobs, echo=bool(fields.echo)
    )
    if config.max_tokens is None:
        config.max_tokens = COMPLETIONS_MAX_TOKENS
    if config.stream and len(prompts) > 1:
        raise bad_request("streaming takes one prompt per request; send the prompts separately", "prompt")
    try:
        requests = [InferRequest.completion(p) for p in prompts]
    except ValueError as exc:
        raise bad_request(str(exc), "prompt") from exc
    return ParsedRequest(fields.model, requests, config, _include_usage(fields))
