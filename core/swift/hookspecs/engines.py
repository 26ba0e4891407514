"""Hook specification of the ``engines`` family: inference engines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import EngineRecord


@hookspec
def swift_register_engines() -> Iterable[EngineRecord]:
    """Register inference engines.

    Called the first time a command needs the ``engines`` family (``infer``, ``deploy`` …).

    Yield one :class:`~swift.kernel.records.EngineRecord` per ``--infer_backend``;
    ``load`` names a class implementing the engine contract of
    :mod:`swift.protocol` (``infer(requests, config)`` and ``infer_async``).

    Example::

        @hookimpl
        def swift_register_engines():
            yield EngineRecord(name="vllm", load="swift_vllm.engine:VllmEngine",
                               requires=("vllm>=0.10",))
    """
