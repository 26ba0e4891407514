"""Calling and combining reward functions.

Conventions (TRL-compatible, see ``docs/plugins/rewards.md``):

* A reward function is ``fn(completions, **columns) -> list[float]``: one score per
  completion, ``None`` to skip a completion (it is left out of the weighted total).
  Every dataset column arrives as a keyword list (``solution=[...]``).
* It may be ``async def``: :func:`call_reward` and :func:`combine_rewards` await
  it (all async rewards of one call run concurrently); inside a running event loop
  use :func:`call_reward_async` / :func:`combine_rewards_async`.
* Rewards are given as names, functions, classes or :class:`NamedReward`
  (see :mod:`swift.rewards.loading`).
"""

from __future__ import annotations

import asyncio
import inspect
import math
import threading
from collections.abc import Sequence
from typing import Any, NamedTuple

from swift.kernel.errors import UsageError
from swift.rewards.loading import NamedReward, load_reward, load_rewards


class RewardScores(NamedTuple):
    """What :func:`combine_rewards` returns (unpacks as ``per_reward, totals``).

    Attributes:
        per_reward: ``per_reward[i][j]`` is reward ``j`` of completion ``i``
            (``nan`` where the reward skipped the completion).
        totals: Weighted sum per completion, skipped rewards left out.
    """

    per_reward: list[list[float]]
    totals: list[float]


def _as_scores(name: str, output: Any, count: int) -> list[float]:
    if isinstance(output, (str, bytes, dict)) or not hasattr(output, "__len__"):
        raise UsageError(
            f"reward {name!r} returned {type(output).__name__}; a reward function returns a list "
            f"with one float (or None to skip) per completion"
        )
    if len(output) != count:
        raise UsageError(
            f"reward {name!r} returned {len(output)} values for {count} completions; "
            "a reward function returns one float (or None to skip) per completion"
        )
    scores = []
    for i, value in enumerate(output):
        if value is None:
            scores.append(math.nan)
            continue
        try:
            if isinstance(value, (str, bytes)):
                raise TypeError
            scores.append(float(value))
        except (TypeError, ValueError):
            raise UsageError(
                f"reward {name!r} returned {value!r} for completion {i}; expected a float or None"
            ) from None
    return scores


def _call(reward: NamedReward, completions: Sequence[Any], columns: dict[str, Any]) -> Any:
    try:
        return reward.fn(completions, **columns)
    except Exception as exc:
        if hasattr(exc, "add_note"):
            exc.add_note(f"(in reward {reward.name!r})")
        raise


async def _resolve(reward: NamedReward, output: Any) -> Any:
    if not inspect.isawaitable(output):
        return output
    try:
        return await output
    except Exception as exc:
        if hasattr(exc, "add_note"):
            exc.add_note(f"(in reward {reward.name!r})")
        raise


def _run(coro: Any) -> Any:
    """Run a coroutine to completion from synchronous code."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from inside a running loop (a sync reward helper in async code): that
    # loop is busy, so the coroutine gets its own loop in a helper thread.
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="swift-reward-loop")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _call_all(rewards: list[NamedReward], completions: Sequence[Any], columns: dict[str, Any]) -> list[Any]:
    outputs: list[Any] = []
    try:
        for reward in rewards:
            outputs.append(_call(reward, completions, columns))
    except BaseException:
        for output in outputs:  # started coroutines would warn "never awaited"
            if inspect.iscoroutine(output):
                output.close()
        raise
    return outputs


async def _gather(rewards: list[NamedReward], outputs: list[Any]) -> list[Any]:
    return list(await asyncio.gather(*(_resolve(r, o) for r, o in zip(rewards, outputs))))


def call_reward(fn: Any, completions: Sequence[Any], **columns: Any) -> list[float]:
    """Call one reward function (sync or async) and check what it returns.

    Args:
        fn: A reward name, function, class, instance or :class:`NamedReward`.
        completions: Strings or chat-format message lists.
        **columns: Dataset columns and extras (``solution=[...]``, ``completion_ids=``).

    Returns:
        One float per completion; ``nan`` where the reward returned None (skip).

    Raises:
        UsageError: When it returns anything but one number or None per completion,
            naming the reward.
    """
    reward = load_reward(fn)
    output = _call(reward, completions, columns)
    if inspect.isawaitable(output):
        output = _run(_resolve(reward, output))
    return _as_scores(reward.name, output, len(completions))


async def call_reward_async(fn: Any, completions: Sequence[Any], **columns: Any) -> list[float]:
    """:func:`call_reward` for async code: awaits an async reward on the running loop."""
    reward = load_reward(fn)
    output = await _resolve(reward, _call(reward, completions, columns))
    return _as_scores(reward.name, output, len(completions))


def _weights(rewards: list[NamedReward], weights: Sequence[float] | None) -> list[float]:
    if not rewards:
        raise UsageError("no reward functions given: pass at least one with --reward_funcs")
    if weights is None:
        return [1.0] * len(rewards)
    if len(weights) != len(rewards):
        names = ", ".join(r.name for r in rewards)
        raise UsageError(
            f"--reward_weights has {len(weights)} values but there are {len(rewards)} rewards "
            f"({names}); give one weight per reward, or none for all 1.0."
        )
    return [float(w) for w in weights]


def _combine(rewards: list[NamedReward], weights: list[float], outputs: list[Any], count: int) -> RewardScores:
    columns = [_as_scores(r.name, out, count) for r, out in zip(rewards, outputs)]
    per_reward = [list(row) for row in zip(*columns)] if count else []
    # Skipped (nan) scores drop out of the sum, as TRL's nansum does; a completion
    # every reward skipped totals 0.0.
    totals = [sum(w * s for w, s in zip(weights, row) if not math.isnan(s)) for row in per_reward]
    return RewardScores(per_reward, totals)


def combine_rewards(
    rewards: Sequence[Any],
    weights: Sequence[float] | None,
    completions: Sequence[Any],
    *,
    args: Any = None,
    **columns: Any,
) -> RewardScores:
    """Score completions with several rewards and weigh them.

    The Python side of ``--reward_funcs`` and ``--reward_weights``.

    Args:
        rewards: Names, functions, classes or :class:`NamedReward` (prefer
            :func:`load_rewards` once, then pass its result every step).
        weights: One weight per reward; None means all 1.0.
        completions: Strings or chat-format message lists.
        args: Arguments for reward classes that are built here.
        **columns: Dataset columns and extras passed to every reward.

    Returns:
        ``(per_reward, totals)`` — see :class:`RewardScores`.

    Raises:
        UsageError: On a weight count mismatch, a reward model among the functions, or
            a reward returning the wrong number of values.
    """
    loaded = load_rewards(rewards, args)
    weight_list = _weights(loaded, weights)
    outputs = _call_all(loaded, completions, columns)
    if any(inspect.isawaitable(o) for o in outputs):
        outputs = _run(_gather(loaded, outputs))
    return _combine(loaded, weight_list, outputs, len(completions))


async def combine_rewards_async(
    rewards: Sequence[Any],
    weights: Sequence[float] | None,
    completions: Sequence[Any],
    *,
    args: Any = None,
    **columns: Any,
) -> RewardScores:
    """:func:`combine_rewards` for async code (async rewards run concurrently on this loop)."""
    loaded = load_rewards(rewards, args)
    weight_list = _weights(loaded, weights)
    outputs = await _gather(loaded, _call_all(loaded, completions, columns))
    return _combine(loaded, weight_list, outputs, len(completions))
