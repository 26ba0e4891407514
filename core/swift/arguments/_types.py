"""Turn command-line text and config values into the types fields declare.

Supported field types: ``str``, ``int``, ``float``, ``bool``, ``X | None``,
``Literal[...]`` choices, ``list[X]``, ``dict`` (a JSON string or a path to a
.json/.yaml file) and unions of those (tried in declared order).
"""

import json
import os
import re
import types
from typing import Any, Literal, Union, get_args, get_origin

_TRUE = frozenset({"true", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "off"})
_NONE = frozenset({"none", "null"})
_INT_RE = re.compile(r"[+-]?\d+")


class ConversionError(ValueError):
    """A value does not fit the type of its field; the parser adds the flag name."""

    def __init__(self, message: str, choices: list[Any] | None = None, value: str | None = None):
        super().__init__(message)
        self.choices = choices
        self.value = value


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def split_optional(tp: Any) -> tuple[Any, bool]:
    """Split ``X | None`` into ``(X, True)``; other types give ``(tp, False)``."""
    if not _is_union(tp):
        return tp, False
    members = [a for a in get_args(tp) if a is not type(None)]
    optional = len(members) != len(get_args(tp))
    if len(members) == 1:
        return members[0], optional
    return Union[tuple(members)], optional  # noqa: UP007 - built from a runtime tuple


def is_list(tp: Any) -> bool:
    """Whether the field takes several space-separated values."""
    inner, _ = split_optional(tp)
    return inner is list or get_origin(inner) is list


def is_bool(tp: Any) -> bool:
    """Whether the field is a plain (optional) boolean switch."""
    return split_optional(tp)[0] is bool


def element_type(tp: Any) -> Any:
    """The element type of a list field (``str`` when unparametrised)."""
    args = get_args(split_optional(tp)[0])
    return args[0] if args else str


def parse_bool(text: str) -> bool:
    """Read true/false/1/0/yes/no/on/off (any case)."""
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConversionError(f"expects a boolean (true/false, 1/0, yes/no), got {text!r}")


def parse_dict(text: str) -> dict:
    """Read a JSON object given inline or as a path to a .json/.yaml file."""
    stripped = text.strip()
    if not stripped.startswith("{") and os.path.isfile(stripped):
        with open(stripped, encoding="utf-8") as fh:
            if stripped.endswith((".yaml", ".yml")):
                import yaml  # lazily: only configs written in YAML need it

                value = yaml.safe_load(fh)
            else:
                value = json.load(fh)
    else:
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ConversionError(
                f"expects a JSON object (e.g. '{{\"key\": 1}}') or a path to a .json file, got {text!r}"
            ) from exc
    if not isinstance(value, dict):
        raise ConversionError(f"expects a JSON object, got {type(value).__name__} from {text!r}")
    return value


def convert_text(text: str, tp: Any) -> Any:
    """Convert one command-line token to the field type ``tp``."""
    inner, optional = split_optional(tp)
    if optional and text.strip().lower() in _NONE:
        return None
    return _from_text(text, inner)


def _from_text(text: str, tp: Any) -> Any:
    if tp is bool:
        return parse_bool(text)
    if tp is int:
        if not _INT_RE.fullmatch(text.strip()):
            raise ConversionError(f"expects an integer, got {text!r}")
        return int(text)
    if tp is float:
        # Integers stay ints: transformers reads e.g. logging_steps<1 as a ratio,
        # and "5" printed back as 5.0 in args.json would only confuse.
        if _INT_RE.fullmatch(text.strip()):
            return int(text)
        try:
            return float(text)
        except ValueError as exc:
            raise ConversionError(f"expects a number, got {text!r}") from exc
    if tp is str or tp is Any:
        return text
    origin = get_origin(tp)
    if origin is Literal:
        options = list(get_args(tp))
        for option in options:
            if str(option) == text or (isinstance(option, str) and option.lower() == text.lower()):
                return option
        shown = ", ".join(str(o) for o in options)
        raise ConversionError(f"invalid choice {text!r} (choose from {shown})", choices=options, value=text)
    if tp is dict or origin is dict:
        return parse_dict(text)
    if _is_union(tp):
        errors = []
        for member in get_args(tp):
            try:
                return _from_text(text, member)
            except ConversionError as exc:
                errors.append(str(exc))
        raise ConversionError("; ".join(errors))
    raise TypeError(f"unsupported argument type {tp!r}")


def coerce_value(value: Any, tp: Any) -> Any:
    """Convert a value from a config file or JSON (already typed, or text)."""
    inner, optional = split_optional(tp)
    if value is None:
        if optional or is_list(tp) or inner is dict or get_origin(inner) is dict:
            return None if optional else ([] if is_list(tp) else {})
        raise ConversionError("cannot be null")
    if is_list(tp):
        elem = element_type(tp)
        items = value if isinstance(value, (list, tuple)) else [value]
        return [coerce_value(item, elem) for item in items]
    if isinstance(value, str):
        return convert_text(value, tp)
    return _from_native(value, inner)


def _from_native(value: Any, tp: Any) -> Any:
    if tp is bool:
        if isinstance(value, bool) or value in (0, 1):
            return bool(value)
        raise ConversionError(f"expects a boolean, got {value!r}")
    if tp is int:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConversionError(f"expects an integer, got {value!r}")
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        raise ConversionError(f"expects a number, got {value!r}")
    if tp is str:
        if isinstance(value, (int, float, bool)):
            return str(value)
        raise ConversionError(f"expects a string, got {value!r}")
    if tp is Any:
        return value
    origin = get_origin(tp)
    if origin is Literal:
        if value in get_args(tp):
            return value
        return _from_text(str(value), tp)
    if tp is dict or origin is dict:
        if isinstance(value, dict):
            return value
        raise ConversionError(f"expects a mapping, got {value!r}")
    if _is_union(tp):
        errors = []
        for member in get_args(tp):
            try:
                return _from_native(value, member)
            except ConversionError as exc:
                errors.append(str(exc))
        raise ConversionError("; ".join(errors))
    raise TypeError(f"unsupported argument type {tp!r}")


def describe(tp: Any) -> str:
    """A short metavar for help output, e.g. ``INT``, ``{left,delete}``, ``STR [STR ...]``."""
    if is_list(tp):
        one = describe(element_type(tp))
        return f"{one} [{one} ...]"
    inner, _ = split_optional(tp)
    names = {bool: "BOOL", int: "INT", float: "FLOAT", str: "STR", dict: "JSON"}
    if inner in names:
        return names[inner]
    origin = get_origin(inner)
    if origin is Literal:
        return "{" + ",".join(str(o) for o in get_args(inner)) + "}"
    if origin is dict:
        return "JSON"
    if _is_union(inner):
        return "|".join(describe(m) for m in get_args(inner))
    return "VALUE"
