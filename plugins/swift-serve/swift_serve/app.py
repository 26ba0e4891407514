"""The FastAPI app of ``swift deploy``: OpenAI's API over one engine.

Routes: ``GET /health``, ``GET /v1/models``, ``GET /v1/models/{name}``,
``POST /v1/chat/completions``, ``POST /v1/completions``. Every request goes to
the engine's ``infer_async``, so concurrent clients are batched by the engine
(the ``pt`` engine fills ``--max_batch_size``). Failures a client causes come
back as OpenAI-shaped 4xx bodies; nothing a request does takes the server down.

Example::

    engine = create_engine(args)             # as `swift infer` builds it
    app = create_app(engine, args)           # args: DeployArguments
    uvicorn.run(app, host=args.host, port=args.port)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from swift.kernel import UsageError
from swift.protocol import (
    ChatCompletionResponse,
    CompletionResponse,
    InvalidRequestError,
    UsageInfo,
    request_config_from_args,
)
from swift_serve.bodies import ParsedRequest, RequestRules, parse_chat, parse_completion, parse_json, read_body
from swift_serve.catalog import ModelCatalog, ServedModel
from swift_serve.errors import APIError, bad_request, error_body, internal_error
from swift_serve.runtime_lora import add_runtime_lora_routes, runtime_lora_enabled
from swift_serve.schemas import ChatCompletionRequest, CompletionRequest
from swift_serve.sse import stream_events
from swift_serve.stats import ServerStats, log_every
from swift_serve.tools import read_tool_calls, stream_tool_calls, tool_use_for

logger = logging.getLogger("swift_serve")


class Server:
    """The state behind the routes: engine, names, defaults, statistics.

    Args:
        engine: Any :class:`swift.protocol.InferEngine`.
        args: ``DeployArguments``.
    """

    def __init__(self, engine: Any, args: Any):
        self.engine = engine
        self.args = args
        self.catalog = ModelCatalog(engine, args)
        self.defaults = request_config_from_args(args, stream=False)
        self.rules = RequestRules.from_args(args, self.defaults, getattr(engine, "max_model_len", None))
        self.api_key = getattr(args, "api_key", None) or None
        self.stats = ServerStats()

    def check_key(self, request: Request) -> None:
        """Refuse a request without ``Authorization: Bearer <--api_key>``."""
        if self.api_key is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise APIError(
                401,
                "Missing API key: send the header 'Authorization: Bearer <key>' "
                "with the key the server was started with (--api_key).",
                code="invalid_api_key",
            )
        if not secrets.compare_digest(token.strip().encode(), self.api_key.encode()):
            raise APIError(401, "Incorrect API key provided.", code="invalid_api_key")

    async def answer(self, parsed: ParsedRequest, *, completions: bool) -> Any:
        """Run a parsed request on the engine: a JSON response or an SSE stream."""
        entry = self.catalog.resolve(parsed.model)
        tools = None if completions else tool_use_for(self.engine, parsed.requests[0].tools, parsed.tool_choice)
        if tools is not None and tools.prefix:
            parsed.requests[0].response_prefix = tools.prefix
        self.stats.begin()
        if parsed.config.stream:
            try:
                chunks = await self._call(parsed.requests[0], parsed, entry)
            except BaseException:
                self.stats.end(failed=True)
                raise
            if tools is not None:
                chunks = stream_tool_calls(chunks, tools)
            events = stream_events(
                chunks,
                model=entry.name,
                include_usage=parsed.include_usage,
                completions=completions,
                on_end=self._stream_ended,
            )
            return StreamingResponse(
                events,
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        try:
            responses = await asyncio.gather(*(self._call(r, parsed, entry) for r in parsed.requests))
        except BaseException:
            self.stats.end(failed=True)
            raise
        usage = _sum_usage(r.usage for r in responses)
        self.stats.end(usage.prompt_tokens, usage.completion_tokens)
        for response in responses:
            response.model = entry.name
            if tools is not None:
                read_tool_calls(response, tools)
        body = _completion_body(responses, parsed) if completions else responses[0].to_dict()
        return JSONResponse(body)

    async def _call(self, request: Any, parsed: ParsedRequest, entry: ServedModel) -> Any:
        try:
            return await self.engine.infer_async(request, parsed.config, adapter=entry.adapter)
        except (InvalidRequestError, UsageError) as exc:
            raise bad_request(str(exc)) from exc
        except APIError:
            raise
        except Exception as exc:
            raise internal_error(exc, "the engine") from exc

    async def read_json(self, request: Request) -> Any:
        """The request's JSON body within ``--max_request_bytes`` and ``--max_json_depth``."""
        raw = await read_body(request, self.rules.max_request_bytes)
        return parse_json(raw, self.rules.max_json_depth)

    def _stream_ended(self, usage: UsageInfo | None, failed: bool) -> None:
        self.stats.end(usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0, failed)


def _sum_usage(usages: Any) -> UsageInfo:
    total = UsageInfo()
    for usage in usages:
        total.prompt_tokens += usage.prompt_tokens
        total.completion_tokens += usage.completion_tokens
    total.total_tokens = total.prompt_tokens + total.completion_tokens
    return total


def _echo_text(request: Any, response: ChatCompletionResponse) -> str:
    # a text prompt is echoed as sent; a token-id prompt as its tokens' texts
    if request.prompt is not None:
        return request.prompt
    return "".join(entry.token for entry in response.prompt_logprobs or ())


def _completion_body(responses: list[ChatCompletionResponse], parsed: ParsedRequest) -> dict[str, Any]:
    # Several prompts: choices are numbered prompt by prompt, n per prompt (OpenAI's order).
    n, echo = parsed.config.n, parsed.config.echo
    merged = CompletionResponse.from_chat(responses[0])
    merged.choices = []
    for i, (request, response) in enumerate(zip(parsed.requests, responses)):
        text = _echo_text(request, response) if echo else None
        if not parsed.config.logprobs:
            response.prompt_logprobs = None  # echo the text only: no logprobs were asked for
        for choice in CompletionResponse.from_chat(response, echo=text).choices:
            choice.index = i * n + choice.index
            merged.choices.append(choice)
    merged.usage = _sum_usage(r.usage for r in responses)
    return merged.to_dict()


SCHEMA_REF = "#/components/schemas/{model}"


def request_body(model: Any) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of a route whose body ``model`` validates.

    The routes read the body themselves (to bound its size and depth before
    parsing), so FastAPI cannot infer it; :func:`publish_schemas` adds the
    models it refers to under ``components.schemas``.
    """
    schema = {"$ref": SCHEMA_REF.format(model=model.__name__)}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def publish_schemas(app: FastAPI, models: list[Any]) -> None:
    """Make ``/openapi.json`` define ``models`` (and the models they use) as components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                schema = model.model_json_schema(ref_template=SCHEMA_REF)
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    engine: Any,
    args: Any,
    *,
    health: Callable[[], dict[str, Any]] | None = None,
    title: str = "swift deploy",
) -> FastAPI:
    """The FastAPI app serving ``engine`` as ``args`` (``DeployArguments``) say.

    Args:
        engine: Any :class:`swift.protocol.InferEngine`.
        args: ``DeployArguments`` (or ``RolloutArguments``).
        health: Builds the body of ``GET /health``; default ``{"status": "ok"}``
            (``swift rollout`` adds its weight formats and version).
        title: The app's name in errors and OpenAPI.

    Raises:
        UsageError: Served names collide, or a generation flag is invalid.
    """
    try:
        server = Server(engine, args)
    except ValueError as exc:
        raise UsageError(f"{title}: {exc}") from exc
    interval = float(getattr(args, "log_interval", 0) or 0)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        task = asyncio.create_task(log_every(server.stats, interval, title)) if interval > 0 else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # openapi_url=None: the schema is served below, behind the key like every route but /health
    app = FastAPI(title=title, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.server = server
    auth = [Depends(server.check_key)]

    @app.exception_handler(APIError)
    async def api_error(request: Request, exc: APIError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        error = internal_error(exc, f"{request.method} {request.url.path}")
        return JSONResponse(error.body(), status_code=500)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = f"{exc.detail}: {request.method} {request.url.path}"
        return JSONResponse(
            error_body(exc.status_code, message),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.get("/health")
    async def health_check() -> dict[str, Any]:
        return health() if health is not None else {"status": "ok"}

    @app.get("/openapi.json", dependencies=auth, include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/v1/models", dependencies=auth)
    async def list_models() -> dict[str, Any]:
        return server.catalog.listing()

    @app.get("/v1/models/{name:path}", dependencies=auth)
    async def get_model(name: str) -> dict[str, Any]:
        return server.catalog.card(server.catalog.resolve(name))

    @app.post("/v1/chat/completions", dependencies=auth, openapi_extra=request_body(ChatCompletionRequest))
    async def chat_completions(request: Request) -> Any:
        parsed = parse_chat(await server.read_json(request), server.rules)
        return await server.answer(parsed, completions=False)

    @app.post("/v1/completions", dependencies=auth, openapi_extra=request_body(CompletionRequest))
    async def completions(request: Request) -> Any:
        parsed = parse_completion(await server.read_json(request), server.rules)
        return await server.answer(parsed, completions=True)

    if runtime_lora_enabled():  # vLLM's runtime LoRA API, for trainers sampling through --base_url
        add_runtime_lora_routes(app, server, engine, getattr(args, "host", "127.0.0.1"))
    publish_schemas(app, [ChatCompletionRequest, CompletionRequest])
    return app
