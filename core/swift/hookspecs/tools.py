"""Hook specification of the ``tools`` family: Python functions models call in rollouts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import ToolRecord


@hookspec
def swift_register_tools() -> Iterable[ToolRecord]:
    """Register tools: functions the ``tool_call`` multi-turn scheduler runs when a model calls them.

    Called the first time a command needs the ``tools`` family.

    Yield one :class:`~swift.kernel.records.ToolRecord` per function; its name is the name the
    model calls (the ``name`` of the row's ``tools`` definition). ``load`` names
    ``fn(**arguments)`` (:class:`swift.contracts.ToolFunction`), returning a string or
    something JSON can write; an exception becomes an error message the model reads.

    Example::

        @hookimpl
        def swift_register_tools():
            yield ToolRecord(name="get_weather", load="swift_acme.tools:get_weather")
    """
