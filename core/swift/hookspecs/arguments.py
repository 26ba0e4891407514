"""Hook specification of the ``arguments`` family: argument groups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

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
            yield ArgumentGroupRecord(name="acme", load="swift_acme.arguments:AcmeEngineArguments",
                                      commands=("infer", "deploy", "rollout"))
    """


@hookspec
def swift_check_args(command: str, args: Any) -> None:
    """Check the flags this plugin owns before a command does any work.

    Called for every command with arguments, after parsing and before the model
    loads or a run folder is created, on every plugin loaded for the command (all of
    them answer; the return value is ignored). Raise
    :class:`~swift.kernel.UsageError` with a message that says what is wrong and how
    to fix it; the CLI exits 2. Keep it light: no heavy import, no file bigger than a
    ``config.json`` read, no network.

    Args:
        command: The command (``sft``, ``infer`` …).
        args: Its parsed arguments dataclass.

    Example::

        @hookimpl
        def swift_check_args(command, args):
            if command == "sft" and getattr(args, "acme_mode", None) not in (None, "fast", "safe"):
                raise UsageError(f"--acme_mode {args.acme_mode!r}: choose fast or safe")
    """
