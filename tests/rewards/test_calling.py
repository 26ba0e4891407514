"""call_reward / combine_rewards: sync and async rewards, validation, weights."""

from __future__ import annotations

import asyncio
import math

import pytest

from swift.arguments.grpo import GRPOArguments
from swift.kernel import UsageError
from swift.rewards import (
    NamedReward,
    call_reward,
    call_reward_async,
    combine_rewards,
    combine_rewards_async,
    completion_texts,
    load_reward,
    load_rewards,
)

COMPLETIONS = [
    "<think>1+1</think><answer>2</answer>",
    [{"role": "assistant", "content": r"\boxed{3}"}],
]


def length_reward(completions, **kwargs):
    return [float(len(t)) for t in completion_texts(completions)]


def sync_contains(completions, needle, **kwargs):
    return [float(n in t) for t, n in zip(completion_texts(completions), needle)]


async def async_contains(completions, needle, **kwargs):
    await asyncio.sleep(0)
    return [float(n in t) for t, n in zip(completion_texts(completions), needle)]


def test_call_reward_runs_a_sync_function_with_the_columns():
    assert call_reward(sync_contains, ["abc", "xyz"], needle=["b", "b"]) == [1.0, 0.0]
    assert call_reward(length_reward, ["abc", [{"role": "assistant", "content": "hello"}]]) == [
        3.0,
        5.0,
    ]


def test_call_reward_awaits_an_async_function():
    assert call_reward(async_contains, ["abc", "xyz"], needle=["z", "z"]) == [0.0, 1.0]


def test_call_reward_awaits_an_async_function_even_inside_a_running_loop():
    async def main():
        sync_path = call_reward(async_contains, ["abc"], needle=["a"])
        async_path = await call_reward_async(async_contains, ["abc"], needle=["q"])
        return sync_path, async_path

    assert asyncio.run(main()) == ([1.0], [0.0])


def test_call_reward_awaits_an_async_callable_instance():
    class Judge:
        async def __call__(self, completions, **kwargs):
            return [0.25] * len(completions)

    assert call_reward(Judge(), ["a", "b"]) == [0.25, 0.25]


def test_a_wrong_number_of_scores_is_an_error_naming_the_reward():
    def too_few(completions, **kwargs):
        return [1.0]

    with pytest.raises(UsageError, match=r"reward 'too_few' returned 1 values for 2 completions"):
        call_reward(too_few, ["a", "b"])


def test_a_non_numeric_score_is_an_error_naming_the_reward():
    def wordy(completions, **kwargs):
        return ["good" for _ in completions]

    with pytest.raises(UsageError, match=r"reward 'wordy' returned 'good' for completion 0"):
        call_reward(wordy, ["a"])
    with pytest.raises(UsageError, match=r"reward 'wordy' returned str"):
        call_reward(NamedReward("wordy", lambda c, **k: "1.0"), ["a"])


def test_none_means_skip_and_becomes_nan():
    assert math.isnan(call_reward(lambda c, **k: [None], ["a"])[0])


def test_an_exception_inside_a_reward_names_it():
    def broken(completions, **kwargs):
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError) as err:
        call_reward(broken, ["a"])
    assert "(in reward 'broken')" in getattr(err.value, "__notes__", [])


def test_combine_rewards_weighs_each_reward(kernel):
    per_reward, totals = combine_rewards(["accuracy", "format"], [1.0, 0.5], COMPLETIONS, solution=["2", "2"])
    assert per_reward == [[1.0, 1.0], [0.0, 0.0]]
    assert totals == [1.5, 0.0]


def test_combine_rewards_defaults_every_weight_to_one(kernel):
    _, totals = combine_rewards(["format", length_reward], None, ["<think></think><answer></answer>"])
    assert totals == [1.0 + len("<think></think><answer></answer>")]


def test_combine_rewards_leaves_skipped_scores_out_of_the_total(kernel):
    per_reward, totals = combine_rewards(
        ["accuracy", "format"], [2.0, 1.0], COMPLETIONS, solution=["not a number", "3"]
    )
    assert math.isnan(per_reward[0][0]) and per_reward[0][1] == 1.0
    assert totals == [1.0, 2.0]


def test_combine_rewards_rejects_a_weight_count_mismatch(kernel):
    with pytest.raises(
        UsageError,
        match=r"--reward_weights has 1 values but there are 2 rewards \(accuracy, format\)",
    ):
        combine_rewards(["accuracy", "format"], [1.0], COMPLETIONS, solution=["2", "2"])


def test_combine_rewards_runs_async_rewards_concurrently():
    # Each waits for the other's signal: only a concurrent gather lets both finish.
    ping, pong = asyncio.Event(), asyncio.Event()

    async def first(completions, **kwargs):
        ping.set()
        await asyncio.wait_for(pong.wait(), 5)
        return [1.0] * len(completions)

    async def second(completions, **kwargs):
        pong.set()
        await asyncio.wait_for(ping.wait(), 5)
        return [2.0] * len(completions)

    async def main():
        return await combine_rewards_async([first, second, length_reward], [1, 1, 0], ["ab"])

    assert asyncio.run(main()) == ([[1.0, 2.0, 2.0]], [3.0])


def test_combine_rewards_awaits_async_rewards_from_sync_code():
    assert combine_rewards([async_contains, length_reward], [1, 1], ["xy"], needle=["y"]).totals == [3.0]


def test_reward_classes_are_built_with_args(kernel):
    args = GRPOArguments(soft_max_length=10, soft_cache_length=5)
    [overlong] = load_rewards(["soft_overlong"], args)
    assert overlong.name == "soft_overlong"
    assert call_reward(overlong, ["a", "b"], completion_ids=[[0] * 5, [0] * 11]) == [0.0, -1.0]
    per_reward, _ = combine_rewards(["repetition"], None, ["a b a b a b"], args=GRPOArguments(repetition_n_grams=2))
    assert per_reward == [[pytest.approx(-(1 - 2 / 5))]]


def test_a_reward_class_that_cannot_take_args_is_a_clear_error():
    class NeedsTwo:
        def __init__(self, args, extra):
            pass

    with pytest.raises(UsageError, match=r"reward class 'NeedsTwo' must be constructible as NeedsTwo\(args\)"):
        load_reward(NeedsTwo)


def test_no_rewards_at_all_is_an_error():
    with pytest.raises(UsageError, match="at least one"):
        combine_rewards([], None, ["a"])
