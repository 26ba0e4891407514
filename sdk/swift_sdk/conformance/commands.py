"""Conformance of trainers and commands: loadable entry functions and a working ``--help``."""

from __future__ import annotations

import contextlib
import inspect
import io

from swift.kernel import load_object
from swift_sdk.conformance.errors import fail
from swift_sdk.conformance.plugin import PluginUnderTest

COMMANDS_OF_TRAINERS = ("sft", "pt", "rlhf")


def check_trainer(plugin: PluginUnderTest, name: str) -> None:
    """The trainer ``name`` belongs to a training command and its ``run`` takes the arguments.

    Raises:
        ConformanceError: For an unknown ``command``, or a ``run`` that cannot be called
            as ``run(args)``.
    """
    record = plugin.record("trainers", name)

    def problem(text: str) -> Exception:
        return fail(plugin.label, text, family="trainers", record=name)

    if record.command not in COMMANDS_OF_TRAINERS:
        raise problem(f"command={record.command!r}; a trainer belongs to one of {', '.join(COMMANDS_OF_TRAINERS)}")
    with plugin.active():
        run = load_object(record.load, what=f"trainer {name!r}")
    try:
        inspect.signature(run).bind(object())
    except (TypeError, ValueError) as exc:
        raise problem(f"{record.load} cannot be called as run(args): {exc}") from exc


def check_command(plugin: PluginUnderTest, name: str) -> None:
    """``swift <name> --help`` prints the command's flags without running it.

    Raises:
        ConformanceError: When the arguments class is not a dataclass, or ``--help`` fails.
    """
    from dataclasses import is_dataclass

    from swift.cli.main import run_command

    record = plugin.record("commands", name)

    def problem(text: str) -> Exception:
        return fail(plugin.label, text, family="commands", record=name)

    with plugin.active():
        main = load_object(record.load, what=f"command {name!r}")
        if not callable(main):
            raise problem(f"{record.load} is not callable")
        if not record.arguments:
            return  # the command parses its own argv: nothing generic to run
        if not is_dataclass(load_object(record.arguments)):
            raise problem(f"arguments={record.arguments!r} must name a dataclass")
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                run_command(name, ["--help"])
        except Exception as exc:  # noqa: BLE001 - reported to the author
            raise problem(f"`swift {name} --help` fails: {type(exc).__name__}: {exc}") from exc
        if f"swift {name}" not in out.getvalue():
            raise problem(f"`swift {name} --help` printed no usage: {out.getvalue()[:200]!r}")
