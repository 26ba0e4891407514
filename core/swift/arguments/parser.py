"""Read ``argv`` into an arguments dataclass, ms-swift style.

* ``--name value`` or ``--name=value``; ``--lora-rank`` equals ``--lora_rank``.
* booleans: ``--flag`` alone is true, or ``--flag true/false/1/0/yes/no``.
* lists are space separated (``--dataset a b c``); dicts are JSON or a .json path.
* a positional ``.yaml``/``.yml``/``.json`` file is a config whose keys are flags;
  flags given on the command line win over it.
* unknown flags and bad choices fail with the closest valid name.
"""

import functools
import logging
import os
import typing
from collections.abc import Sequence
from dataclasses import Field, fields
from typing import Any

from swift.arguments._fields import aliases_of
from swift.arguments._types import (
    ConversionError,
    coerce_value,
    convert_text,
    describe,
    is_bool,
    is_list,
    split_optional,
)
from swift.arguments.checkpoint import EXPLICIT
from swift.arguments.compose import compose
from swift.arguments.errors import ArgumentError, HelpRequested
from swift.arguments.help import format_help
from swift.kernel.errors import closest

__all__ = ["ArgumentError", "HelpRequested", "format_help", "parse_args"]

logger = logging.getLogger(__name__)

CONFIG_SUFFIXES = (".yaml", ".yml", ".json")


@functools.cache
def flag_table(cls: type) -> dict[str, tuple[Field, Any]]:
    """Map every accepted flag name (field names and aliases) to (field, resolved type)."""
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - fall back to raw annotations of odd plugin groups
        hints = {}
    table: dict[str, tuple[Field, Any]] = {}
    for f in fields(cls):
        entry = (f, hints.get(f.name, f.type))
        for name in (f.name, *aliases_of(f)):
            table[name] = entry
    return table


def _is_flag(token: str) -> bool:
    if token.startswith("--"):
        return len(token) > 2
    if token.startswith("-") and len(token) > 1:
        try:
            float(token)
        except ValueError:
            return True  # e.g. -h; negative numbers are values
    return False


def _error(flag: str, exc: ConversionError) -> ArgumentError:
    suggestion = None
    if exc.choices and exc.value is not None:
        suggestion = closest(exc.value, [str(c) for c in exc.choices])
    message = f"argument {flag}: {exc}"
    if suggestion:
        message += f". Did you mean {suggestion!r}?"
    return ArgumentError(message, suggestion=suggestion)


def _take_values(tokens: list[str], start: int, tp: Any, f: Field) -> tuple[list[str], int]:
    """Values following a flag: all for lists, an optional one for switches, else one."""
    end = start
    if is_list(tp):
        while end < len(tokens) and not _is_flag(tokens[end]):
            end += 1
    elif end < len(tokens) and not _is_flag(tokens[end]):
        if is_bool(tp) or "const" in f.metadata:
            try:  # a switch only takes the next token when it reads as a value of its type
                convert_text(tokens[end], tp)
                end += 1
            except ConversionError:
                pass
        else:
            end += 1
    return tokens[start:end], end


def _convert_flag(flag: str, values: list[str], tp: Any, f: Field) -> Any:
    try:
        if is_list(tp):
            inner, optional = split_optional(tp)
            if optional and len(values) == 1 and values[0].lower() in ("none", "null"):
                return None
            elem = typing.get_args(inner)[0] if typing.get_args(inner) else str
            return [convert_text(v, elem) for v in values]
        if not values:
            if is_bool(tp):
                return True
            if "const" in f.metadata:
                return f.metadata["const"]
            raise ArgumentError(f"argument {flag}: expects a value ({describe(tp)})")
        return convert_text(values[0], tp)
    except ConversionError as exc:
        raise _error(flag, exc) from exc


def load_config_file(path: str) -> dict[str, Any]:
    """Read a flat YAML or JSON config mapping flag names to values."""
    if not os.path.isfile(path):
        raise ArgumentError(f"config file {path!r} does not exist")
    with open(path, encoding="utf-8") as fh:
        if path.endswith(".json"):
            import json

            data = json.load(fh)
        else:
            import yaml  # lazily: only YAML configs need it

            data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ArgumentError(f"config file {path} must hold a mapping of flag names to values")
    return data


def _unknown(name: str, table: dict, prog: str) -> ArgumentError:
    suggestion = closest(name, table)
    message = f"unknown flag --{name} for `{prog}`."
    if suggestion:
        message += f" Did you mean --{suggestion}?"
    message += f" See `{prog} --help`."
    return ArgumentError(message, suggestion=f"--{suggestion}" if suggestion else None)


def parse_args(cls: type, argv: Sequence[str], *, extra_groups: Sequence[type] = (), prog: str = "swift") -> Any:
    """Parse command-line tokens into an instance of ``cls`` (plus plugin groups).

    Args:
        cls: The command's arguments dataclass, e.g. ``TrainArguments``.
        argv: The tokens after the subcommand (``sys.argv[2:]``).
        extra_groups: Argument dataclasses contributed by plugins; the result
            then is an instance of a class subclassing ``cls`` and each group.
        prog: The command name used in messages, e.g. ``"swift sft"``.

    Returns:
        The arguments instance, after its ``__post_init__`` ran.

    Raises:
        ArgumentError: Unknown flag, bad value or invalid choice (exit code 2).
        HelpRequested: ``-h``/``--help`` was given; its ``text`` is the help.
        ConflictError: Two argument groups define the same flag.
    """
    target = compose(cls, tuple(extra_groups))
    table = flag_table(target)
    tokens = list(argv)
    if "-h" in tokens or "--help" in tokens:
        raise HelpRequested(format_help(cls, extra_groups=extra_groups, prog=prog))
    cli: dict[str, Any] = {}
    config: dict[str, Any] = {}
    unknown: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not _is_flag(token):
            if token.lower().endswith(CONFIG_SUFFIXES):
                _merge_config(config, load_config_file(token), table, unknown)
                i += 1
                continue
            raise ArgumentError(
                f"unexpected argument {token!r} for `{prog}`: flags start with --, "
                "and a config file must end in .yaml, .yml or .json."
            )
        name, has_inline, inline = token.lstrip("-").partition("=")
        key = name.replace("-", "_")
        if key not in table:
            unknown.append(key)
            i += 1
            while i < len(tokens) and not _is_flag(tokens[i]) and not has_inline:
                i += 1  # skip the unknown flag's values
            continue
        f, tp = table[key]
        if has_inline:
            values, i = [inline], i + 1
        else:
            values, i = _take_values(tokens, i + 1, tp, f)
        cli[f.name] = _convert_flag(f"--{name}", values, tp, f)
    values = {**config, **cli}
    if unknown:
        if values.get("ignore_args_error"):
            logger.warning("ignoring unknown flags: %s", " ".join(f"--{u}" for u in unknown))
        else:
            raise _unknown(unknown[0], table, prog)
    return build(target, values)


def _merge_config(config: dict, data: dict, table: dict, unknown: list[str]) -> None:
    for raw_key, value in data.items():
        key = str(raw_key).replace("-", "_")
        if key not in table:
            unknown.append(key)
            continue
        f, tp = table[key]
        try:
            config[f.name] = coerce_value(value, tp)
        except ConversionError as exc:
            raise _error(f"{key} (config file)", exc) from exc


def build(target: type, values: dict[str, Any]) -> Any:
    """Instantiate ``target`` from named values, marking them as given explicitly."""
    token = EXPLICIT.set(frozenset(values))
    try:
        return target(**values)
    except ArgumentError:
        raise
    except ValueError as exc:
        raise ArgumentError(str(exc)) from exc
    finally:
        EXPLICIT.reset(token)
