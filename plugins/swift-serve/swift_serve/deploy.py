r"""Body of ``swift deploy``: build the engine as ``swift infer`` does, then serve it.

Example::

    swift deploy --model Qwen/Qwen2.5-0.5B-Instruct --infer_backend pt --port 8000 \
        --adapters lora1=output/v0/checkpoint-100 --api_key secret

    from swift.llm import deploy_main, DeployArguments   # or, from Python
    deploy_main(DeployArguments(model=..., port=8000))
"""

from __future__ import annotations

import errno
import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

from swift.kernel import UsageError
from swift.pipelines.infer_engine import create_engine
from swift.pipelines.merge import merge_before_infer

logger = logging.getLogger("swift_serve")


def check_port(host: str, port: int, command: str = "swift deploy") -> None:
    """Fail before loading the model when ``host:port`` cannot be bound.

    Args:
        host: The ``--host`` to bind.
        port: The ``--port``.
        command: Named in the error (``swift deploy``, ``swift rollout``).

    Raises:
        UsageError: The port is taken or the address is not local.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be bound ({exc.strerror})"
            raise UsageError(f"{command}: {host}:{port} {why}; pass another --port or --host") from exc


def configure_logging() -> None:
    """Send the server's own log lines (statistics, engine errors) to stderr like uvicorn's."""
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def serve(args: Any, build_app: Callable[[Any, Any], Any], command: str = "swift deploy") -> int:
    """Build the engine as ``swift infer`` does and serve ``build_app(engine, args)`` with uvicorn until interrupted.

    Args:
        args: ``DeployArguments`` or a subclass.
        build_app: ``fn(engine, args) -> app`` (:func:`swift_serve.app.create_app` …).
        command: Named in log lines and errors.

    Returns:
        The exit status (0 after a clean shutdown).
    """
    import uvicorn

    from swift_serve.server import base_url, is_loopback, uvicorn_config

    configure_logging()
    check_port(args.host, args.port, command)
    if not args.api_key and not is_loopback(args.host):
        logger.warning(
            "%s: binding %s without --api_key: anyone who can reach this machine can use the server%s. "
            "Set --api_key (or $SWIFT_API_KEY), or bind --host 127.0.0.1.",
            command,
            args.host,
            " (weight pushes stay refused)" if command == "swift rollout" else "",
        )
    if getattr(args, "merge_lora", False) and args.adapters:
        merge_before_infer(args)
    engine = create_engine(args)
    try:
        app = build_app(engine, args)
        names = ", ".join(app.state.server.catalog.names)
        url = base_url(args.host, args.port, bool(args.ssl_certfile))
        logger.info("%s: serving %s at %s/v1 (engine %s)", command, names, url, args.infer_backend)
        server = uvicorn.Server(uvicorn_config(app, args))
        server.run()
    finally:
        engine.close()
    return 0


def deploy_main(args: Any) -> int:
    """Run ``swift deploy`` for ``args`` (``DeployArguments``) until interrupted.

    Returns:
        The exit status (0 after a clean shutdown).
    """
    from swift_serve.app import create_app

    return serve(args, create_app)
