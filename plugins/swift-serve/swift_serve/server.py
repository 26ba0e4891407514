"""Running the app with uvicorn: in the foreground (``swift deploy``) or on a thread.

:class:`BackgroundServer` serves on a socket it binds itself (port 0 picks a free
port with no race), in a daemon thread with its own event loop: tests,
benchmarks and notebooks use it to talk to a real server from the same process.

Example::

    with BackgroundServer(create_app(engine, args)) as server:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="-")
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import uvicorn

logger = logging.getLogger("swift_serve")


def uvicorn_config(app: Any, args: Any, **overrides: Any) -> uvicorn.Config:
    """The uvicorn settings ``args`` (``DeployArguments``) ask for.

    ``--verbose`` switches uvicorn's access log (one line per request);
    ``--ssl_keyfile/--ssl_certfile`` make it serve HTTPS.
    """
    settings: dict[str, Any] = {
        "host": getattr(args, "host", "0.0.0.0"),
        "port": int(getattr(args, "port", 8000)),
        "ssl_keyfile": getattr(args, "ssl_keyfile", None),
        "ssl_certfile": getattr(args, "ssl_certfile", None),
        "access_log": bool(getattr(args, "verbose", True)),
        "log_level": "info",
        # Streams of slow clients must not be cut by the keep-alive timer.
        "timeout_keep_alive": 30,
    }
    settings.update(overrides)
    return uvicorn.Config(app, **settings)


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    import ipaddress

    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def base_url(host: str, port: int, ssl: bool = False) -> str:
    """The URL clients use; a wildcard bind is reached through 127.0.0.1."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"{'https' if ssl else 'http'}://{shown}:{port}"


class BackgroundServer:
    """A uvicorn server on a daemon thread.

    Args:
        app: The ASGI app.
        args: Optional ``DeployArguments`` for SSL and logging settings.
        host: Interface to bind.
        port: Port to bind; 0 picks a free one.
        startup_timeout: Seconds to wait for the server to accept connections.
    """

    def __init__(
        self,
        app: Any,
        args: Any = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout: float = 60.0,
    ):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP spelled out: asyncio disables Nagle's algorithm only on sockets that
        # say so, and with Nagle every keep-alive response waits ~40 ms for a delayed ACK.
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = host, self._socket.getsockname()[1]
        config = (
            uvicorn_config(app, args, host=host, port=self.port)
            if args is not None
            else uvicorn.Config(app, host=host, port=self.port, log_level="warning")
        )
        self.app = app
        self.ssl = bool(config.ssl_certfile)
        self.server = uvicorn.Server(config)
        self._timeout = startup_timeout
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http(s)://host:port`` of the server."""
        return base_url(self.host, self.port, self.ssl)

    def start(self) -> BackgroundServer:
        """Start serving; returns once the server accepts connections.

        Raises:
            RuntimeError: It did not start within ``startup_timeout`` seconds.
        """
        self._thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self._socket]},
            name=f"swift-serve-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server on {self.url} did not start")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the server to finish and wait for its thread."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
