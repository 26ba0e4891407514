"""Resolving reward specs — registry names, functions, classes — into callables.

A record's ``load`` target is a function, or a class constructed once as
``cls(args)`` whose instances are the reward function (rewards configured by
flags, like ``cosine``). Reward *models* (``kind="model"``) are refused here: the
trainer plugin loads them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from swift.kernel.errors import UsageError

RewardFunction = Callable[..., Any]


@dataclass(frozen=True)
class NamedReward:
    """A reward function ready to call, with the name errors and logs use.

    Attributes:
        name: Registry name (``accuracy``) or the function's own name.
        fn: The callable (a function or an instance of a reward class).
    """

    name: str
    fn: RewardFunction


def reward_name(fn: Any) -> str:
    """The name a callable or class goes by in messages."""
    if isinstance(fn, NamedReward):
        return fn.name
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) else type(fn).__name__


def load_reward(spec: Any, args: Any = None) -> NamedReward:
    """Turn a reward name, function or class into a :class:`NamedReward`.

    Args:
        spec: A name in ``registry("rewards")``, a function, a reward class (built
            as ``cls(args)``), an instance, or a :class:`NamedReward` (returned as is).
        args: The command's arguments, given to reward classes.

    Raises:
        UnknownNameError: For a name no plugin registered (with a suggestion).
        UsageError: When the name is a reward *model* (``--reward_model``) or the
            target is not callable.
    """
    if isinstance(spec, NamedReward):
        return spec
    name = reward_name(spec)
    target = spec
    if isinstance(spec, str):
        from swift.kernel import load_object, registry

        record = registry("rewards").get(spec)
        name = record.name
        if record.kind == "model":
            raise UsageError(
                f"{name!r} is a reward model, not a reward function: pass it with --reward_model "
                f"{name}, not --reward_funcs (reward models are loaded by the trainer plugin)."
            )
        if record.kind != "function":
            raise UsageError(f"reward {name!r} has unknown kind {record.kind!r}; expected 'function'")
        target = load_object(record.load, what=f"reward {name!r}")
    if inspect.isclass(target):
        try:
            target = target(args)
        except TypeError as exc:
            raise UsageError(f"reward class {name!r} must be constructible as {target.__name__}(args): {exc}") from exc
    if not callable(target):
        raise UsageError(f"reward {name!r} is {type(target).__name__}, not a callable")
    return NamedReward(name, target)


def load_rewards(specs: Sequence[Any], args: Any = None) -> list[NamedReward]:
    """:func:`load_reward` of each spec (build rewards once, call them every step)."""
    if isinstance(specs, (str, NamedReward)) or callable(specs):
        specs = [specs]
    return [load_reward(spec, args) for spec in specs]
