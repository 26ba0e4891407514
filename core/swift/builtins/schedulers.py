"""The built-in multi-turn schedulers (``--multi_turn_scheduler``) and the tools ``tool_call`` runs."""

from __future__ import annotations

from swift.kernel import SchedulerRecord, ToolRecord, hookimpl

SCHEDULERS = (
    SchedulerRecord(
        name="default",
        load="swift.scheduler.base:MultiTurnScheduler",
        summary="Ends on max_tokens (length) or --max_turns; subclass it for tool or user turns.",
    ),
    SchedulerRecord(
        name="tool_call",
        load="swift.scheduler.tools:ToolCallScheduler",
        summary="Runs the tools the model calls (tools records) and sends the results back, until it answers.",
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


TOOLS = (
    ToolRecord(
        name="calculator",
        load="swift.scheduler.calculator:calculator",
        summary="Evaluates an arithmetic expression (+ - * / // % **, parentheses, numbers).",
    ),
)


@hookimpl
def swift_register_tools():
    yield from TOOLS
