"""Entry point of the ``swift`` executable.

``swift <command> [flags]`` looks the command up in the ``commands`` family
(builtins + the ``swift.commands`` entry points — nothing heavy is imported),
loads the plugin families it needs, parses its arguments (core groups plus the
groups plugins contribute) and runs it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from typing import Any

from swift import __version__
from swift.kernel import SwiftError, UsageError, get_kernel, load_object
from swift.kernel.records import CommandRecord

_PLUGIN_FILE_FLAGS = ("--external_plugins", "--custom_register_path", "--external-plugins", "--custom-register-path")


def top_help() -> str:
    """The text of ``swift --help``: every command with its one-line summary."""
    records = sorted(
        (r for r in get_kernel().registry("commands").records() if not r.parent), key=lambda r: (r.order, r.name)
    )
    width = max(len(r.name) for r in records) + 2
    lines = [
        "usage: swift <command> [flags]    (swift <command> --help for its flags)",
        "",
        "Fine-tune, align, run and serve large language models.",
        "",
        "commands:",
        *(f"  {r.name.ljust(width)}{r.summary}" for r in records),
        "",
        "environment:",
        "  NPROC_PER_NODE, NNODES, NODE_RANK, MASTER_ADDR, MASTER_PORT  run pt/sft/rlhf/infer under torchrun",
        "  SWIFT_DISABLE_PLUGINS=a,b   do not load these plugins",
        "  SWIFT_PLUGINS_STRICT=1      fail on a broken plugin instead of reporting it",
    ]
    return "\n".join(lines)


def split_plugin_files(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split argv into the ``--external_plugins`` files and the other tokens.

    The files are read before parsing because they may add the command or its flags.
    """
    files: list[str] = []
    rest: list[str] = []
    taking = False
    for token in argv:
        if token.startswith("-"):
            name, eq, value = token.partition("=")
            taking = name in _PLUGIN_FILE_FLAGS
            if taking and eq:
                files.append(value)
            if not taking:
                rest.append(token)
        elif taking:
            files.append(token)
        else:
            rest.append(token)
    return files, rest


def argument_groups(record: CommandRecord) -> list[type]:
    """Dataclasses that loaded plugins contribute to this command's flags."""
    groups = get_kernel().registry("arguments").records()
    return [load_object(g.load, what=f"argument group {g.name!r}") for g in groups if record.name in g.commands]


def command_arguments(name: str) -> tuple[type, list[type]]:
    """The arguments dataclass of ``swift <name>`` and the groups plugins add to it (what ``--help`` lists).

    Loads the plugin families the command uses, so their groups and choices are known.

    Raises:
        UnknownNameError: No such command.
        UsageError: The command takes no flags of its own (``swift plugins``).
    """
    kernel = get_kernel()
    record = kernel.registry("commands").get(name)
    if not record.arguments:
        raise UsageError(f"`swift {name}` has no argument dataclass")
    kernel.load_families(*record.families)
    return load_object(record.arguments, what=f"arguments of {name!r}"), argument_groups(record)


# ms-swift: `swift web-ui --model …` (or --adapters/--ckpt_dir) opens the chat app for that model.
_APP_FLAGS = ("--model", "--adapters", "--ckpt_dir")


def _web_ui_to_app(argv: list[str]) -> list[str]:
    if argv[:1] == ["web-ui"] and any(t.split("=", 1)[0] in _APP_FLAGS for t in argv[1:]):
        print("swift web-ui: --model/--adapters/--ckpt_dir given: running `swift app`", file=sys.stderr)
        return ["app", *argv[1:]]
    return argv


def _model_type_list(argv: list[str]) -> list[str]:
    """``swift <command> --model_type list`` prints the catalogue (``swift models``)."""
    for i, token in enumerate(argv[1:], 1):
        if token == "--model_type=list" or (token == "--model_type" and argv[i + 1 : i + 2] == ["list"]):
            return ["models"]
    return argv


def run_command(name: str, args: Any = None) -> Any:
    """Run ``swift <name>`` with argv (a list) or an already built arguments dataclass.

    The CLI and the Python API (``swift.llm.sft_main`` …) both come through here.
    """
    from swift.cli import torchrun

    kernel = get_kernel()
    argv = None if is_dataclass(args) else list(args or [])
    # Plugin files first: they may add the command itself or flags of it.
    files, rest = (
        split_plugin_files(argv) if argv is not None else (list(getattr(args, "external_plugins", None) or ()), [])
    )
    kernel.add_plugin_files(files)
    record = kernel.registry("commands").get(name)
    if record.parent:
        sub = record.name.removeprefix(f"{record.parent}-")
        raise UsageError(f"{name!r} is a subcommand: run `swift {record.parent} {sub}`")
    if record.distributed and argv is not None and torchrun.should_relaunch():
        return torchrun.relaunch(record.name, argv)
    if not record.arguments:
        return load_object(record.load, what=f"command {name!r}")(rest)
    kernel.load_families(*record.families)
    if argv is not None:
        from swift.arguments import format_help, parse_args

        arguments_cls = load_object(record.arguments, what=f"arguments of {name!r}")
        if "external_plugins" not in {f.name for f in fields(arguments_cls)}:
            argv = rest  # a plugin command's own dataclass need not know the flag
        groups = argument_groups(record)
        if "-h" in argv or "--help" in argv:
            print(format_help(arguments_cls, extra_groups=groups, prog=f"swift {name}", description=record.summary))
            return None
        args = parse_args(arguments_cls, argv, extra_groups=groups, prog=f"swift {name}")
    from swift.pipelines.checks import check_before_work

    check_before_work(record, args)
    return load_object(record.load, what=f"command {name!r}")(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry: returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(top_help())
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        print(f"swift {__version__}")
        return 0
    from swift.arguments.errors import HelpRequested

    argv = _model_type_list(_web_ui_to_app(argv))
    try:
        result = run_command(argv[0], argv[1:])
    except HelpRequested as exc:
        print(exc.text)
        return 0
    except SwiftError as exc:
        print(f"swift {argv[0]}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("swift: interrupted", file=sys.stderr)
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
