"""Hook specification of the ``arguments`` family: argument groups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import ArgumentGroupRecord


@hookspec
def swift_register_arguments() -> Iterable[ArgumentGroupRecord]:
    """Register argument groups.

    Called when a command builds its parser, on every plugin loaded for that command.

    Yield :class:`~swift.kernel.records.ArgumentGroupRecord` objects naming a
    dataclass whose fields become flags of the listed ``commands`` (as pytest
    plugins add options). The dataclass module must import nothing heavy.

    Example::

        @hookimpl
        def swift_register_arguments():
            yield ArgumentGroupRecord(name="vllm", load="swift_vllm.arguments:VllmArguments",
                                      commands=("infer", "deploy", "rollout"))
    """
