"""Arguments for the checks, parsed as the command line would parse them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from swift.kernel import load_object
from swift_sdk.conformance.plugin import PluginUnderTest


def command_args(plugin: PluginUnderTest, command: str, argv: Sequence[str]) -> Any:
    """``swift <command> <argv>``'s arguments object, with every plugin's argument groups.

    A tuner that adds its own flags (``--acme_rank``) gets them with their defaults,
    exactly as ``swift sft`` would hand them over.
    """
    from swift.arguments import parse_args
    from swift.cli.main import argument_groups

    with plugin.active() as kernel:
        record = kernel.registry("commands").get(command)
        arguments_cls = load_object(record.arguments, what=f"arguments of {command!r}")
        return parse_args(arguments_cls, list(argv), extra_groups=argument_groups(record), prog=f"swift {command}")
