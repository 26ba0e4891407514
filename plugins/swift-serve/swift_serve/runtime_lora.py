"""Loading and unloading LoRA adapters while serving: vLLM's runtime LoRA API, for GRPO through ``--base_url``.

``POST /v1/load_lora_adapter`` ``{"lora_name": …, "lora_path": …}`` serves the peft adapter in the
server-side folder ``lora_path`` as the model ``lora_name``; ``POST /v1/unload_lora_adapter``
``{"lora_name": …}`` stops serving it and frees it. The bodies, answers and the opt-in are vLLM's
(``vllm serve`` with ``VLLM_ALLOW_RUNTIME_LORA_UPDATING=True``), so a trainer drives ``swift deploy``
and ``vllm serve`` alike.

Off unless the operator sets ``SWIFT_ALLOW_RUNTIME_LORA_UPDATING=1`` (the routes then exist); like
``swift rollout``'s weight pushes, a server bound to a non-loopback address answers them 403
without ``--api_key``, since whoever can reach it could swap what it serves.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from swift.kernel import UsageError
from swift.protocol import AdapterLoader, AdapterUnloader, InvalidRequestError
from swift_serve.errors import APIError

ALLOW_ENV = "SWIFT_ALLOW_RUNTIME_LORA_UPDATING"


def runtime_lora_enabled() -> bool:
    """Whether the operator opted in (``SWIFT_ALLOW_RUNTIME_LORA_UPDATING``)."""
    return os.environ.get(ALLOW_ENV, "").lower() in ("1", "true", "yes", "on")


def _field(body: Any, name: str) -> str:
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise APIError(400, f"'{name}' must be a non-empty string", param=name)
    return value


def add_runtime_lora_routes(app: FastAPI, server: Any, engine: Any, host: str) -> None:
    """Add the two routes to ``app`` (call only when :func:`runtime_lora_enabled`).

    Raises:
        UsageError: The engine cannot load adapters while serving.
    """
    from swift_serve.server import is_loopback

    if not (isinstance(engine, AdapterLoader) and isinstance(engine, AdapterUnloader)):
        raise UsageError(
            f"{ALLOW_ENV} is set, but this engine cannot load and unload LoRA adapters while serving; "
            "use --infer_backend pt"
        )
    auth = [Depends(server.check_key)]
    open_to_pushes = server.api_key is not None or is_loopback(host)

    def check_open() -> None:
        if not open_to_pushes:
            raise APIError(
                403,
                "runtime LoRA updates are refused: this server binds a non-loopback address without --api_key "
                "(or $SWIFT_API_KEY); restart it with a key, or bind --host 127.0.0.1",
            )

    @app.post("/v1/load_lora_adapter", dependencies=auth)
    async def load_lora_adapter(request: Request) -> PlainTextResponse:
        check_open()
        body = await server.read_json(request)
        name, path = _field(body, "lora_name"), _field(body, "lora_path")
        if name in server.catalog.entries:
            raise APIError(400, f"The lora adapter {name!r} has already been loaded.", param="lora_name")
        if not os.path.isfile(os.path.join(path, "adapter_config.json")):
            raise APIError(400, f"'lora_path' {path!r} is not a folder with adapter_config.json", param="lora_path")
        try:
            await run_in_threadpool(engine.load_adapter, path, name=name)
        except (InvalidRequestError, UsageError, OSError, ValueError) as exc:
            raise APIError(400, f"cannot load the adapter {name!r}: {exc}", param="lora_path") from exc
        server.catalog.add_adapter(name, path)
        return PlainTextResponse(f"Success: LoRA adapter '{name}' added successfully.")

    @app.post("/v1/unload_lora_adapter", dependencies=auth)
    async def unload_lora_adapter(request: Request) -> PlainTextResponse:
        check_open()
        name = _field(await server.read_json(request), "lora_name")
        server.catalog.remove_adapter(name)  # 404 for a name that is not a loaded adapter
        try:
            await run_in_threadpool(engine.unload_adapter, name)
        except InvalidRequestError as exc:
            raise APIError(400, f"cannot unload the adapter {name!r}: {exc}", param="lora_name") from exc
        return PlainTextResponse(f"Success: LoRA adapter '{name}' removed successfully.")
