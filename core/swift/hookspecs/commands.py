"""Hook specification of the ``commands`` family: subcommands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import CommandRecord


@hookspec
def swift_register_commands() -> Iterable[CommandRecord]:
    """Register subcommands.

    Called when the CLI starts, to know the ``swift <name>`` subcommands.

    Yield :class:`~swift.kernel.records.CommandRecord` objects. ``arguments`` names the
    arguments dataclass (its module must import nothing heavy, ``swift <name> --help``
    imports it); ``load`` names ``main(args)`` (:class:`swift.contracts.CommandMain`) run
    with the parsed arguments; ``families`` lists the plugin families loaded before
    ``main`` runs. ``parent="plugins"`` makes ``plugins-NAME`` the subcommand
    ``swift plugins NAME`` (how swift-sdk contributes ``swift plugins new``).

    Example::

        @hookimpl
        def swift_register_commands():
            yield CommandRecord(name="acme-report", load="swift_acme.report:main",
                                arguments="swift_acme.report_args:ReportArguments",
                                summary="Summarise a training run")
    """
