"""A command's form, generated from its argument dataclasses: fields, command line, YAML config.

Nothing here is kept by hand: the sections, flags, types, defaults and help texts are those
``swift <command> --help`` prints (the core's dataclasses plus the groups installed plugins
add), so a new flag appears in the web UI without UI code. A form's values become the exact
argv the command line takes; the command line is checked by the command's own parser.

Widget values: a bool is a checkbox; a choice (``Literal``, optional bool) a dropdown whose
``"None"`` means unset; everything else text — a list space separated (shell quoting), a dict
JSON, an unset optional empty.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import typing
from dataclasses import MISSING
from typing import Any, Literal, get_args, get_origin

from swift.arguments import (
    convert_text,
    default_of,
    describe,
    element_type,
    field_sections,
    is_bool,
    is_list,
    parse_args,
    section_title,
    split_optional,
)

UNSET = "None"


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """One flag of a form.

    Attributes:
        name: The flag without dashes.
        kind: ``"bool"`` (checkbox), ``"choice"`` (dropdown), ``"text"``.
        type: The field's annotation.
        default: The default value.
        help: The help text of ``--help``.
        type_text: The type as ``--help`` describes it.
        choices: Dropdown choices (``"None"`` first for an optional choice).
    """

    name: str
    kind: str
    type: Any
    default: Any
    help: str
    type_text: str
    choices: tuple[str, ...] = ()

    @property
    def initial(self) -> Any:
        """The widget value that stands for the default."""
        return widget_value(self, self.default)


@dataclasses.dataclass
class Section:
    """A group of flags: ``key`` is the dataclass name, ``title`` its ``--help`` heading."""

    key: str
    title: str
    fields: list[FieldSpec]


def _choices(tp: Any) -> tuple[str, ...]:
    inner, optional = split_optional(tp)
    if get_origin(inner) is Literal:
        values = tuple(str(v) for v in get_args(inner))
    elif inner is bool:
        values = ("true", "false")
    else:
        return ()
    return (UNSET, *values) if optional else values


def field_spec(f: dataclasses.Field, tp: Any) -> FieldSpec:
    """The form field of one dataclass field."""
    default = default_of(f)
    default = None if default is MISSING else default
    choices = _choices(tp)
    if is_bool(tp) and not split_optional(tp)[1]:
        kind = "bool"
    elif choices and not is_list(tp):
        kind = "choice"
    else:
        kind, choices = "text", ()
    return FieldSpec(f.name, kind, tp, default, f.metadata.get("help", ""), describe(tp), choices)


def widget_value(spec: FieldSpec, value: Any) -> Any:
    """How ``value`` shows in the field's widget."""
    if spec.kind == "bool":
        return bool(value)
    if value is None:
        return UNSET if spec.kind == "choice" else ""
    if spec.kind == "choice":
        return ("true" if value else "false") if isinstance(value, bool) else str(value)
    if is_list(spec.type):
        return shlex.join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _tokens(spec: FieldSpec, value: Any) -> list[str]:
    """The argv values of a widget value (no flag name)."""
    if spec.kind == "bool":
        return ["true" if value else "false"]
    if spec.kind == "choice":
        return [value if isinstance(value, str) else widget_value(spec, value)]
    text = "" if value is None else str(value)
    if is_list(spec.type):
        return shlex.split(text)
    return [text.strip()] if text.strip() or not split_optional(spec.type)[1] else ["none"]


class CommandForm:
    """The form of ``swift <command>``.

    Args:
        command: ``sft``, ``pt``, ``rlhf``, ``export``, ``eval`` …
        cls: The command's arguments dataclass.
        groups: The argument groups plugins add to it.
    """

    def __init__(self, command: str, cls: type, groups: list[type]):
        self.command, self.cls, self.groups = command, cls, list(groups)
        hints: dict[str, Any] = {}
        for klass in (cls, *self.groups):
            hints.update(typing.get_type_hints(klass))
        by_name = {f.name: f for klass in (cls, *self.groups) for f in dataclasses.fields(klass)}
        self.sections = [
            Section(klass.__name__, section_title(klass), [field_spec(by_name[n], hints.get(n, Any)) for n in names])
            for klass, names in field_sections(cls, self.groups)
        ]
        self.fields = {spec.name: spec for section in self.sections for spec in section.fields}

    @classmethod
    def of(cls, command: str) -> CommandForm:
        """The form of an installed command (its core arguments and the groups installed plugins add)."""
        from swift.cli.main import command_arguments

        return cls(command, *command_arguments(command))

    # ------------------------------------------------------------------ values -> command line
    def argv(self, values: dict[str, Any]) -> list[str]:
        """The flags of the values that differ from their defaults, in ``--help`` order."""
        out: list[str] = []
        for name, spec in self.fields.items():
            if name not in values or values[name] == spec.initial:
                continue
            if spec.kind == "text" and str(values[name] or "").strip() == str(spec.initial).strip():
                continue
            out += [f"--{name}", *_tokens(spec, values[name])]
        return out

    def command_line(self, values: dict[str, Any]) -> str:
        """``swift <command> --flag value …``, quoted for a POSIX shell."""
        return shlex.join(["swift", self.command, *self.argv(values)])

    def check(self, argv: list[str]) -> Any:
        """Parse ``argv`` as the command line would (raises its ArgumentError)."""
        return parse_args(self.cls, argv, extra_groups=self.groups, prog=f"swift {self.command}")

    def validate(self, argv: list[str]) -> Any:
        """Parse ``argv`` and run the command's checks before work (names, paths, flag combinations).

        Raises:
            UsageError: What ``swift <command>`` would stop with before loading anything.
        """
        from swift.kernel import get_kernel
        from swift.pipelines.checks import check_before_work

        args = self.check(argv)
        check_before_work(get_kernel().registry("commands").get(self.command), args)
        return args

    # ------------------------------------------------------------------ YAML config
    def config(self, values: dict[str, Any]) -> dict[str, Any]:
        """The YAML mapping ``swift <command> config.yaml`` reads: typed values of the changed flags."""
        argv = self.argv(values)
        self.check(argv)  # a config is written only when the command line would parse
        out: dict[str, Any] = {}
        i = 0
        while i < len(argv):
            name = argv[i][2:]
            j = i + 1
            while j < len(argv) and not (argv[j].startswith("--") and argv[j][2:] in self.fields):
                j += 1
            out[name] = self._typed(self.fields[name], argv[i + 1 : j])
            i = j
        return out

    @staticmethod
    def _typed(spec: FieldSpec, tokens: list[str]) -> Any:
        if is_list(spec.type):
            if split_optional(spec.type)[1] and tokens == ["none"]:
                return None
            return [convert_text(t, element_type(spec.type)) for t in tokens]
        return convert_text(tokens[0], spec.type)

    def values_from_config(self, data: dict[str, Any]) -> dict[str, Any]:
        """Widget values of a config mapping (flag names as the command line spells them).

        Raises:
            ArgumentError: An unknown flag or a value of the wrong type (the parser's message).
        """
        from swift.arguments import ArgumentError, flag_table

        table = flag_table(self.cls)
        for group in self.groups:
            table = {**table, **flag_table(group)}
        out: dict[str, Any] = {}
        for raw, value in data.items():
            key = str(raw).replace("-", "_")
            if key not in table:
                raise ArgumentError(f"unknown flag --{key} for `swift {self.command}` in the config file")
            name = table[key][0].name
            out[name] = widget_value(self.fields[name], value)
        self.check(self.argv(out))
        return out
