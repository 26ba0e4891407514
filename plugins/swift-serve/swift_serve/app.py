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
import json
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
from swift_serve.bodies import ParsedRequest, parse_chat, parse_completion
from swift_serve.catalog import ModelCatalog, ServedModel
from swift_serve.errors import APIError, bad_request, error_body
from swift_serve.sse import stream_events
from swift_serve.stats import ServerStats, log_every

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
        self.max_logprobs = int(getattr(args, "max_logprobs", 20) or 0)
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
        self.stats.begin()
        if parsed.config.stream:
            try:
                chunks = await self._call(parsed.requests[0], parsed, entry)
            except BaseException:
                self.stats.end(failed=True)
                raise
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
        body = _completion_body(responses, parsed.config.n) if completions else responses[0].to_dict()
        return JSONResponse(body)

    async def _call(self, request: Any, parsed: ParsedRequest, entry: ServedModel) -> Any:
        try:
            return await self.engine.infer_async(request, parsed.config, adapter=entry.adapter)
        except (InvalidRequestError, UsageError) as exc:
            raise bad_request(str(exc)) from exc
        except APIError:
            raise
        except Exception as exc:
            logger.error("swift deploy: the engine failed: %s", exc, exc_info=True)
            raise APIError(500, f"the engine failed: {type(exc).__name__}: {exc}", code="engine_error") from exc

    def _stream_ended(self, usage: UsageInfo | None, failed: bool) -> None:
        self.stats.end(usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0, failed)


def _sum_usage(usages: Any) -> UsageInfo:
    total = UsageInfo()
    for usage in usages:
        total.prompt_tokens += usage.prompt_tokens
        total.completion_tokens += usage.completion_tokens
    total.total_tokens = total.prompt_tokens + total.completion_tokens
    return total


def _completion_body(responses: list[ChatCompletionResponse], n: int) -> dict[str, Any]:
    # Several prompts: choices are numbered prompt by prompt, n per prompt (OpenAI's order).
    merged = CompletionResponse.from_chat(responses[0])
    merged.choices = []
    for i, response in enumerate(responses):
        for choice in CompletionResponse.from_chat(response).choices:
            choice.index = i * n + choice.index
            merged.choices.append(choice)
    merged.usage = _sum_usage(r.usage for r in responses)
    return merged.to_dict()


async def read_json(request: Request) -> Any:
    """The request body as JSON; a 400 saying why when it is not."""
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"the request body is not valid JSON: {exc}") from exc


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

    app = FastAPI(title=title, lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.server = server
    auth = [Depends(server.check_key)]

    @app.exception_handler(APIError)
    async def api_error(request: Request, exc: APIError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

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

    @app.get("/v1/models", dependencies=auth)
    async def list_models() -> dict[str, Any]:
        return server.catalog.listing()

    @app.get("/v1/models/{name:path}", dependencies=auth)
    async def get_model(name: str) -> dict[str, Any]:
        return server.catalog.card(server.catalog.resolve(name))

    @app.post("/v1/chat/completions", dependencies=auth)
    async def chat_completions(request: Request) -> Any:
        parsed = parse_chat(await read_json(request), server.defaults, server.max_logprobs)
        return await server.answer(parsed, completions=False)

    @app.post("/v1/completions", dependencies=auth)
    async def completions(request: Request) -> Any:
        parsed = parse_completion(await read_json(request), server.defaults, server.max_logprobs)
        return await server.answer(parsed, completions=True)

    return app
