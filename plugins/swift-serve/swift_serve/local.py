"""Serve a model in-process on 127.0.0.1 for this process's own clients (swift eval, swift app)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def serve_in_process(args: Any) -> Iterator[Any]:
    """Build the engine of ``args`` as ``swift deploy`` does and serve its app on 127.0.0.1, a free port.

    Only this process reaches it, so it has no API key (``--api_key`` is for a remote
    server, not this one). ``--merge_lora`` merges first, as ``swift deploy`` does.

    Args:
        args: ``DeployArguments`` or a subclass (``EvalArguments``, ``AppArguments``).

    Yields:
        The running :class:`~swift_serve.server.BackgroundServer` (``.url``, ``.app``;
        ``app.state.server.catalog`` names what it serves).
    """
    from swift.pipelines.infer_engine import create_engine
    from swift.pipelines.merge import merge_before_infer
    from swift_serve.app import create_app
    from swift_serve.server import BackgroundServer

    local = dataclasses.replace(args, host="127.0.0.1", port=0)
    local.api_key = None  # after replace(): __post_init__ would fill it from $SWIFT_API_KEY
    if getattr(local, "merge_lora", False) and local.adapters:
        merge_before_infer(local)
    engine = create_engine(local)
    try:
        with BackgroundServer(create_app(engine, local), local) as server:
            yield server
    finally:
        engine.close()
