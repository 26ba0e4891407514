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
    ``load`` names a class implementing :class:`swift.contracts.InferEngine`
    (``infer(requests, config)``, ``infer_async``, ``close``, ``model_name``,
    ``adapter_names``), constructed as ``cls(args)``; see :func:`swift.contracts.load_engine`.

    Example::

        @hookimpl
        def swift_register_engines():
            yield EngineRecord(name="acme", load="swift_acme.engine:AcmeEngine",
                               requires=("acme-runtime>=1.0",))
    """
