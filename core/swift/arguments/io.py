"""``args.json``: the record of a run's arguments, written at start and read by later commands."""

import enum
import json
import logging
import os
import pathlib
import tempfile
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from swift.arguments._fields import alias_map
from swift.arguments.compose import base_class, compose, extra_groups
from swift.arguments.parser import build

logger = logging.getLogger(__name__)

ARGS_FILE = "args.json"
META_KEY = "swift_meta"


def to_jsonable(value: Any) -> Any:
    """A JSON-safe copy of an argument value (tuples → lists, paths → str, enums → value)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(to_jsonable(v) for v in value)
    if isinstance(value, pathlib.PurePath):
        return str(value)
    return repr(value)


def args_to_dict(args: Any) -> dict[str, Any]:
    """Every field of ``args`` as JSON-safe values, plus the ``swift_meta`` entry."""
    from swift import __version__

    data = {f.name: to_jsonable(getattr(args, f.name)) for f in fields(args)}
    data[META_KEY] = {
        "class": base_class(args).__name__,
        "module": base_class(args).__module__,
        "extra_groups": [f"{g.__module__}:{g.__qualname__}" for g in extra_groups(args)],
        "version": __version__,
    }
    return data


def save_args(args: Any, output_dir: str) -> str:
    """Write ``args.json`` into ``output_dir`` atomically (readers never see half a file).

    Returns:
        The path written.
    """
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, ARGS_FILE)
    fd, tmp = tempfile.mkstemp(prefix=".args-", suffix=".json", dir=output_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(args_to_dict(args), fh, ensure_ascii=False, indent=2)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load_args_file(path: str) -> dict[str, Any]:
    """Read an ``args.json`` (given as the file or the folder holding it) into a dict."""
    if os.path.isdir(path):
        path = os.path.join(path, ARGS_FILE)
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold an arguments mapping")
    return data


def args_from_json(cls: type, path: str, *, extra_groups: Sequence[type] = (), **overrides: Any) -> Any:
    """Rebuild arguments from an ``args.json``.

    Keys this version does not know (from an older or newer swift, or from a
    plugin group not passed in ``extra_groups``) are skipped with a warning;
    old flag names are mapped through field aliases.

    Args:
        cls: The arguments class to build, e.g. ``TrainArguments``.
        path: The args.json file or its folder.
        extra_groups: Plugin argument groups to combine with ``cls``.
        **overrides: Values replacing the saved ones.

    Returns:
        An instance equal to the one that was saved (for the same classes).
    """
    target = compose(cls, tuple(extra_groups))
    data = load_args_file(path)
    data.pop(META_KEY, None)
    aliases = alias_map(target)
    known = {f.name for f in fields(target)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = aliases.get(key, key)
        if name in known:
            values[name] = value
        else:
            logger.warning("%s: ignoring unknown argument %r (from another swift version or plugin)", path, key)
    values.update({aliases.get(k, k): v for k, v in overrides.items()})
    return build(target, values)
