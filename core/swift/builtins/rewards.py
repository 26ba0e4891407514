"""The built-in reward functions (``--reward_funcs``), pure Python.

Records name their implementation by import string, so listing them imports
nothing (math-verify is imported only when ``accuracy`` or ``cosine`` runs).
Reward *models* (``kind="model"``) come from trainer plugins.
"""

from __future__ import annotations

from swift.kernel import RewardRecord, hookimpl

_R = "swift.rewards."

REWARDS = (
    RewardRecord(
        name="accuracy",
        load=_R + "accuracy:accuracy",
        summary="1.0 if the answer (\\boxed{} / <answer>) equals the 'solution' column.",
    ),
    RewardRecord(
        name="format",
        load=_R + "format:format_reward",
        summary="1.0 if the completion is <think>...</think> followed by <answer>...</answer>.",
    ),
    RewardRecord(
        name="cosine",
        load=_R + "length:CosineReward",
        summary="Accuracy scaled by length: short right answers best, short wrong ones worst.",
    ),
    RewardRecord(
        name="repetition",
        load=_R + "repetition:RepetitionPenalty",
        summary="Penalty proportional to repeated word n-grams (--repetition_n_grams).",
    ),
    RewardRecord(
        name="soft_overlong",
        load=_R + "length:SoftOverlong",
        summary="DAPO soft overlong punishment over --soft_cache_length before --soft_max_length.",
    ),
)


@hookimpl
def swift_register_rewards():
    yield from REWARDS
