"""Build the engine ``--infer_backend`` names, for ``infer``, ``deploy`` and rollouts.

The core knows engines only as records of the ``engines`` family and as objects
speaking :mod:`swift.protocol`; which library runs underneath is the plugin's
business. A backend whose plugin is not installed gets an error naming it.
"""

from __future__ import annotations

from typing import Any

from swift.kernel import registry
from swift.kernel.records import EngineRecord


def engine_record(backend: str) -> EngineRecord:
    """The record of ``--infer_backend backend``.

    Raises:
        UnknownNameError: With the installed engines and, for a backend we know
            (vllm, sglang, lmdeploy …), the distribution to install.
    """
    return registry("engines").get(backend)


def create_engine(args: Any, **kwargs: Any) -> Any:
    """Construct the engine for ``args.infer_backend`` from ``args``.

    Args:
        args: ``InferArguments`` or a subclass (``DeployArguments`` …).
        **kwargs: Passed to the engine class (``max_batch_size=`` …).

    Returns:
        An object implementing :class:`swift.protocol.InferEngine`.
    """
    from swift.contracts import load_engine

    return load_engine(args.infer_backend)(args, **kwargs)


def infer_each(engine: Any, requests: list, config: Any) -> list:
    """``engine.infer(requests, config)``, with each request the engine refuses answered by its error.

    One batch call first; when the engine refuses the batch (``InvalidRequestError``: an image it
    cannot read, a prompt too long …), the requests run one by one so that only the bad ones fail.

    Returns:
        One item per request: its response, or the ``InvalidRequestError`` that refused it.
    """
    from swift.protocol import InvalidRequestError

    try:
        return list(engine.infer(requests, config))
    except InvalidRequestError:
        pass
    out: list = []
    for request in requests:
        try:
            out += engine.infer([request], config)
        except InvalidRequestError as exc:
            out.append(exc)
    return out
