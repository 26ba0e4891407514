"""``swift <cmd> --help``: a section per argument group; each flag with type, default, help."""

import inspect
import typing
from collections.abc import Sequence
from dataclasses import MISSING, fields, is_dataclass
from typing import Any

from swift.arguments._fields import aliases_of, default_of
from swift.arguments._types import describe


def _own_annotations(klass: type) -> dict[str, Any]:
    try:
        return inspect.get_annotations(klass)
    except Exception:  # noqa: BLE001 - a class without readable annotations declares nothing
        return {}


def section_title(klass: type) -> str:
    """``Name — first line of its docstring``: how help and the web UI title a group."""
    doc = inspect.getdoc(klass) or ""
    first = doc.strip().splitlines()[0] if doc.strip() else ""
    return f"{klass.__name__} — {first}" if first else klass.__name__


def field_sections(cls: type, extra_groups: Sequence[type] = ()) -> list[tuple[type, list[str]]]:
    """Group field names under the dataclass that first declares them (base classes first).

    The sections of ``--help``, in its order; the web UI lays its forms out by them too.
    """
    order = [k for k in reversed(cls.__mro__) if is_dataclass(k)] + list(extra_groups)
    owner: dict[str, type] = {}
    for klass in order:
        for name in _own_annotations(klass):
            owner.setdefault(name, klass)
    names = [f.name for f in fields(cls)] + [f.name for g in extra_groups for f in fields(g)]
    grouped: dict[type, list[str]] = {k: [] for k in order}
    for name in names:
        klass = owner.get(name, cls)
        if name not in grouped[klass]:
            grouped[klass].append(name)
    return [(k, grouped[k]) for k in order if grouped[k]]


def _format_default(value: Any) -> str:
    if value is MISSING:
        return "required"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return " ".join(str(v) for v in value) if value else "[]"
    return str(value)


def format_help(cls: type, *, extra_groups: Sequence[type] = (), prog: str = "swift", description: str = "") -> str:
    """Render the help of a command.

    Args:
        cls: The command's arguments dataclass.
        extra_groups: Argument groups plugins contribute, shown after the core groups.
        prog: The command, e.g. ``"swift sft"``.
        description: A paragraph shown under the usage line.

    Returns:
        The help text: usage, description, then one titled section per group.
    """
    all_fields = {f.name: f for f in fields(cls)}
    for group in extra_groups:
        all_fields.update({f.name: f for f in fields(group)})
    hints: dict[str, Any] = {}
    for klass in (cls, *extra_groups):
        try:
            hints.update(typing.get_type_hints(klass))
        except Exception:  # noqa: BLE001 - fall back to raw annotations
            pass
    lines = [f"usage: {prog} [CONFIG.yaml] [--flag VALUE ...]", ""]
    if description:
        lines += [description.strip(), ""]
    lines += [
        "Lists are space separated (--dataset a b), dicts are JSON or a .json path,",
        "booleans take true/false. A .yaml/.json config file expands to flags; flags win over it.",
    ]
    for klass, names in field_sections(cls, extra_groups):
        lines += ["", section_title(klass)]
        for name in names:
            f = all_fields[name]
            tp = hints.get(name, f.type)
            flags = ", ".join(f"--{n}" for n in (name, *aliases_of(f)))
            lines.append(f"  {flags} {describe(tp)}")
            help_text = f.metadata.get("help", "")
            lines.append(f"      {help_text} [default: {_format_default(default_of(f))}]".rstrip())
    return "\n".join(lines) + "\n"
