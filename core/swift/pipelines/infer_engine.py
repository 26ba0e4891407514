"""Build the engine ``--infer_backend`` names, for ``infer``, ``deploy`` and rollouts.

The core knows engines only as records of the ``engines`` family and as objects
speaking :mod:`swift.protocol`; which library runs underneath is the plugin's
business. A backend whose plugin is not installed gets an error naming it.
"""

from __future__ import annotations

from typing import Any

from swift.kernel import MissingProviderError, UnknownNameError, load_object, registry
from swift.kernel.records import EngineRecord

# Engines of ms-swift that live in separately installed plugin distributions (contrib/).
ENGINE_DISTRIBUTIONS = {
    "vllm": "swift-vllm",
    "lmdeploy": "swift-lmdeploy",
    "sglang": "swift-sglang",
}


def engine_record(backend: str) -> EngineRecord:
    """The record of ``--infer_backend backend``.

    Raises:
        MissingProviderError: A known backend whose plugin is not installed (what to install).
        UnknownNameError: Any other unknown name (with what is installed).
    """
    try:
        return registry("engines").get(backend)
    except (UnknownNameError, MissingProviderError) as exc:
        distribution = ENGINE_DISTRIBUTIONS.get(backend.lower())
        if distribution is None:
            raise
        installed = ", ".join(registry("engines").names()) or "none"
        raise MissingProviderError(
            f"--infer_backend {backend} needs the {distribution} plugin, which is not installed. "
            f"Install it: pip install {distribution}  "
            f"(from a checkout: pip install -e contrib/{distribution}). "
            f"Installed engines: {installed}.",
            "engines",
        ) from exc


def create_engine(args: Any, **kwargs: Any) -> Any:
    """Construct the engine for ``args.infer_backend`` from ``args``.

    Args:
        args: ``InferArguments`` or a subclass (``DeployArguments`` …).
        **kwargs: Passed to the engine class (``max_batch_size=`` …).

    Returns:
        An object implementing :class:`swift.protocol.InferEngine`.
    """
    record = engine_record(args.infer_backend)
    engine_class = load_object(record.load, what=f"engine {record.name!r}")
    return engine_class(args, **kwargs)
