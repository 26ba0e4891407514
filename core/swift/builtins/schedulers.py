"""The built-in multi-turn schedulers (``--multi_turn_scheduler``), pure Python."""

from __future__ import annotations

from swift.kernel import SchedulerRecord, hookimpl

SCHEDULERS = (
    SchedulerRecord(
        name="default",
        load="swift.scheduler.base:MultiTurnScheduler",
        summary="Ends on max_tokens (length) or --max_turns; subclass it for tool or user turns.",
    ),
    SchedulerRecord(
        name="retry_wrong",
        load="swift.scheduler.retry:RetryWrongAnswer",
        summary="When 'accuracy' fails, says so in a user turn and lets the model retry.",
    ),
)


@hookimpl
def swift_register_schedulers():
    yield from SCHEDULERS
