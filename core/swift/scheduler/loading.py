"""``--multi_turn_scheduler NAME`` → a scheduler instance, through ``registry("schedulers")``."""

from __future__ import annotations

import inspect
from typing import Any

from swift.kernel.errors import UsageError
from swift.scheduler.base import MultiTurnScheduler


def load_scheduler(spec: Any, *, max_turns: int | None = None, args: Any = None) -> MultiTurnScheduler:
    """Build a scheduler from a registered name, a class or an instance.

    Args:
        spec: A name in ``registry("schedulers")`` (``default``, ``retry_wrong``, a
            plugin's), a :class:`MultiTurnScheduler` subclass, or an instance
            (returned as is).
        max_turns: ``--max_turns``, given to the class.
        args: The command's arguments, given to the class as ``args=``.

    Raises:
        UnknownNameError: For an unregistered name (with a suggestion).
        UsageError: When the target is not a scheduler.
    """
    target, name = spec, getattr(spec, "__name__", type(spec).__name__)
    if isinstance(spec, str):
        from swift.kernel import registry

        record = registry("schedulers").get(spec)
        name = record.name
        target = registry("schedulers").load(spec)
    if inspect.isclass(target):
        target = target(max_turns=max_turns, args=args)
    if not (callable(getattr(target, "check_finished", None)) and callable(getattr(target, "step", None))):
        raise UsageError(
            f"multi-turn scheduler {name!r} is {type(target).__name__}, which has no "
            "check_finished/step: subclass swift.scheduler.MultiTurnScheduler"
        )
    return target


def scheduler_from_args(args: Any) -> MultiTurnScheduler | None:
    """The scheduler ``--multi_turn_scheduler`` / ``--max_turns`` ask for; None for single-turn."""
    name = getattr(args, "multi_turn_scheduler", None)
    if not name:
        return None
    return load_scheduler(name, max_turns=getattr(args, "max_turns", None), args=args)
