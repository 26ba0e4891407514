"""Hook specification of the ``schedulers`` family: multi-turn schedulers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import SchedulerRecord


@hookspec
def swift_register_schedulers() -> Iterable[SchedulerRecord]:
    """Register multi-turn schedulers.

    Called the first time a command needs the ``schedulers`` family.

    Yield :class:`~swift.kernel.records.SchedulerRecord` objects naming
    :class:`swift.scheduler.MultiTurnScheduler` subclasses (:class:`swift.contracts.Scheduler`:
    ``check_finished(request, choice, turn) -> bool`` and
    ``step(request, choice, turn) -> request``), chosen with ``--multi_turn_scheduler``.

    Example::

        @hookimpl
        def swift_register_schedulers():
            yield SchedulerRecord(name="tool_loop", load="swift_acme.sched:ToolLoop")
    """
