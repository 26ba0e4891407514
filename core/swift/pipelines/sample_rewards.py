"""Scoring and selection of sampled responses: --orm_model, --prm_model, --n_best_to_keep.

Both flags name reward functions of the ``rewards`` family (builtins, installed
plugins or ``--external_plugins`` files), called TRL-style as
``fn(completions, **columns) -> list[float]``: ``completions`` are the response
texts of one prompt; every other column of the row comes as a list with one entry
per completion, plus ``messages`` (the prompt followed by that completion) and,
when the row has no ``solution`` column, ``solution`` = the row's reference answer.

Selection follows ms-swift's sampler: a response passes when its outcome reward is
> 0 and its process reward is > ``--prm_threshold``; passing responses are ranked
by ``10 * orm + prm`` and the best ``--n_best_to_keep`` are kept, each with the
lowest-ranked response of its prompt as ``rejected_response``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from swift.kernel import UsageError, registry
from swift.rewards import NamedReward, call_reward, load_reward

# ms-swift weighs the outcome far above the process score when ranking.
ORM_WEIGHT = 10.0


@dataclass
class ScoredResponse:
    """One sampled response with its rewards (None where that reward is unused or skipped)."""

    index: int
    text: str
    orm: float | None = None
    prm: float | None = None
    passed: bool = True

    @property
    def score(self) -> float:
        """The ranking score ``10 * orm + prm`` (a missing reward counts 0)."""
        return ORM_WEIGHT * (self.orm or 0.0) + (self.prm or 0.0)


def sampling_reward(name: str, flag: str, args: Any) -> NamedReward:
    """The reward function registered as ``name``, built like GRPO builds it (``cls(args)``).

    Raises:
        UnknownNameError: No such reward (lists the installed ones).
        UsageError: ``name`` is a reward *model* record, which sampling cannot call.
    """
    record = registry("rewards").get(name)
    if record.kind != "function":
        functions = [r.name for r in registry("rewards").records() if r.kind == "function"]
        raise UsageError(
            f"{flag} {name} is a reward model; swift sample scores with reward functions "
            f"(installed: {', '.join(functions) or 'none'})."
        )
    return load_reward(name, args)


def reward_columns(row: dict, prompt: list[dict], completions: list[str], reference: str | None) -> dict:
    """The keyword arguments of a reward call for the completions of one row."""
    n = len(completions)
    columns = {k: [v] * n for k, v in row.items() if k != "messages"}
    columns["messages"] = [[*prompt, {"role": "assistant", "content": c}] for c in completions]
    if "solution" not in columns and reference is not None:
        columns["solution"] = [reference] * n
    return columns


def _number(value: float) -> float | None:
    # a skipped completion (None → nan) is written as null and never passes
    return None if math.isnan(value) else value


class RewardScorer:
    """Scores and selects the responses of each prompt per the sampling arguments.

    Args:
        args: ``SamplingArguments``: ``orm_model``, ``prm_model``, ``prm_threshold``,
            ``n_best_to_keep``, ``easy_query_threshold``.
    """

    def __init__(self, args: Any):
        self.args = args
        self.orm = sampling_reward(args.orm_model, "--orm_model", args) if args.orm_model else None
        self.prm = sampling_reward(args.prm_model, "--prm_model", args) if args.prm_model else None
        # keyword arguments given to every reward call besides the row's columns
        self.extras: dict[str, Any] = {}

    @property
    def active(self) -> bool:
        """Whether any reward is used (else every response is kept unscored)."""
        return self.orm is not None or self.prm is not None

    def score(
        self, row: dict, prompt: list[dict], completions: list[str], reference: str | None
    ) -> list[ScoredResponse]:
        """Every completion of one prompt with its rewards and pass/fail."""
        scored = [ScoredResponse(i, text) for i, text in enumerate(completions)]
        if not self.active or not completions:
            return scored
        columns = {**reward_columns(row, prompt, completions, reference), **self.extras}
        if self.orm is not None:
            for item, value in zip(scored, call_reward(self.orm, completions, **columns)):
                item.orm = _number(value)
                item.passed = item.passed and item.orm is not None and item.orm > 0
        if self.prm is not None:
            for item, value in zip(scored, call_reward(self.prm, completions, **columns)):
                item.prm = _number(value)
                item.passed = item.passed and item.prm is not None and item.prm > self.args.prm_threshold
        return scored

    def select(self, scored: list[ScoredResponse]) -> tuple[list[ScoredResponse], ScoredResponse | None]:
        """The responses to keep (best first) and the rejected (lowest-ranked) one.

        Without rewards every response is kept, in sampling order, and none is rejected.
        A prompt the ORM finds too easy (``--easy_query_threshold``) keeps nothing.
        """
        if not self.active:
            return list(scored), None
        if not scored:
            return [], None
        threshold = self.args.easy_query_threshold
        if self.orm is not None and threshold is not None:
            solved = sum(1 for s in scored if s.orm is not None and s.orm > 0)
            if solved >= len(scored) * threshold:
                return [], None
        ranked = sorted(scored, key=lambda s: s.score, reverse=True)
        kept = [s for s in ranked if s.passed][: max(int(self.args.n_best_to_keep), 0)]
        return kept, ranked[-1]
