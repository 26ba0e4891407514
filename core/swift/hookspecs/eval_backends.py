"""Hook specification of the ``eval_backends`` family: evaluation backends of ``swift eval``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import EvalBackendRecord


@hookspec
def swift_register_eval_backends() -> Iterable[EvalBackendRecord]:
    """Register evaluation backends (``swift eval --eval_backend``).

    Called the first time ``swift eval`` needs the ``eval_backends`` family.

    Yield one :class:`~swift.kernel.records.EvalBackendRecord` per backend; ``load`` names a
    class implementing :class:`swift.contracts.EvalBackend`: ``cls(settings)`` checks the
    datasets (a ``UsageError`` for a name or file it cannot evaluate — before the model
    loads and before the run folder exists), then ``evaluate(target, run_dir)`` scores the
    OpenAI-compatible server ``target`` (swift's own server in-process, or ``--eval_url``)
    and returns an :class:`swift.contracts.EvalReport`. ``swift eval`` serves the model,
    makes the run folder, writes ``results.json``, the samples and the score table.

    Example::

        @hookimpl
        def swift_register_eval_backends():
            yield EvalBackendRecord(name="acme", load="swift_acme.eval:AcmeBackend",
                                    requires=("acme-bench>=2",))
    """
