"""Reward functions for GRPO and ``swift sample`` (``--reward_funcs``), pure Python.

A reward function is TRL's ``fn(completions, **columns) -> list[float]``; see
:mod:`swift.rewards.calling` for the conventions (None skips, async allowed,
classes built with ``cls(args)``). Built-ins, registered by
``swift.builtins.rewards``: ``accuracy``, ``format``, ``cosine``, ``repetition``,
``soft_overlong``::

    from swift.rewards import combine_rewards
    per_reward, totals = combine_rewards(["accuracy", "format"], [1.0, 0.5],
                                         completions, solution=solutions)
"""

from swift.rewards._inputs import completion_lengths, completion_text, completion_texts
from swift.rewards.accuracy import accuracy
from swift.rewards.calling import (
    RewardScores,
    call_reward,
    call_reward_async,
    combine_rewards,
    combine_rewards_async,
)
from swift.rewards.format import THINK_ANSWER, format_reward
from swift.rewards.length import CosineReward, SoftOverlong, cosine_interpolate
from swift.rewards.loading import NamedReward, load_reward, load_rewards, reward_name
from swift.rewards.repetition import RepetitionPenalty, repeated_ngram_ratio

__all__ = [
    "THINK_ANSWER",
    "CosineReward",
    "NamedReward",
    "RepetitionPenalty",
    "RewardScores",
    "SoftOverlong",
    "accuracy",
    "call_reward",
    "call_reward_async",
    "combine_rewards",
    "combine_rewards_async",
    "completion_lengths",
    "completion_text",
    "completion_texts",
    "cosine_interpolate",
    "format_reward",
    "load_reward",
    "load_rewards",
    "repeated_ngram_ratio",
    "reward_name",
]
