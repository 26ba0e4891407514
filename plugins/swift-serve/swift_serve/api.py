"""The public API of swift-serve, for other plugins (swift-eval serves a model in-process with it).

Everything else in the package is internal and may change. Imports are lazy: importing
this module does not import fastapi or uvicorn.

* :func:`create_app` — the OpenAI-compatible app of ``swift deploy`` over an engine;
* :class:`BackgroundServer` — serve an app on a daemon thread (port 0: a free port);
* :func:`is_loopback` — whether a host is reachable from this machine only;
* :func:`serve_in_process` — build an engine and serve it on 127.0.0.1 for this process
  (swift eval and swift app use it).

Example::

    from swift_serve.api import BackgroundServer, create_app

    with BackgroundServer(create_app(engine, deploy_args)) as server:
        print(server.url)  # http://127.0.0.1:<port>
"""

from __future__ import annotations

from swift.kernel.lazy import lazy_exports

_EXPORTS = {
    "create_app": "swift_serve.app",
    "BackgroundServer": "swift_serve.server",
    "is_loopback": "swift_serve.server",
    "serve_in_process": "swift_serve.local",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
