"""``retry_wrong``: tell the model its answer is wrong and let it try again."""

from __future__ import annotations

import math
from typing import Any

from swift.kernel.errors import UsageError
from swift.protocol import ChatCompletionResponseChoice, InferRequest
from swift.scheduler.base import MultiTurnScheduler, append_messages


class RetryWrongAnswer(MultiTurnScheduler):
    """Score each answer with a reward; below ``threshold``, ask for another try.

    The rollout ends when the answer passes, when the reward cannot judge it (it
    returned None, e.g. an unparseable solution), when it was cut by max_tokens,
    or after ``max_turns`` answers (default 3 here, so a rollout always ends).
    Requests must be :class:`~swift.scheduler.RolloutRequest` whose ``data`` holds
    the columns the reward reads (``solution`` for ``accuracy``).

    Class attributes (override in a subclass):
        reward: Reward name or callable judging the last answer.
        threshold: Lowest passing score.
        feedback: The user message sent after a failed answer.
    """

    reward: Any = "accuracy"
    threshold: float = 1.0
    feedback: str = "Your answer is not correct. Check your reasoning step by step and give the final answer again."
    default_max_turns = 3

    def __init__(self, max_turns: int | None = None, **kwargs: Any) -> None:
        super().__init__(max_turns or self.default_max_turns, **kwargs)
        from swift.rewards import load_reward

        self._reward = load_reward(self.reward, self.args)

    @property
    def name(self) -> str:
        """Name used in errors and records."""
        return "retry_wrong"

    def _score(self, request: InferRequest, choice: ChatCompletionResponseChoice) -> float:
        from swift.rewards import call_reward

        data = getattr(request, "data", None)
        if data is None:
            raise UsageError(
                "multi-turn scheduler 'retry_wrong' needs swift.scheduler.RolloutRequest prompts "
                f"whose data holds the columns reward {self._reward.name!r} reads"
            )
        columns = {key: [value] for key, value in data.items()}
        return call_reward(self._reward, [choice.message.content], **columns)[0]

    def check_finished(self, request: InferRequest, choice: ChatCompletionResponseChoice, turn: int) -> bool:
        """Finished when the base rules say so, or the answer passes or cannot be judged."""
        if super().check_finished(request, choice, turn):
            return True
        score = self._score(request, choice)
        return math.isnan(score) or score >= self.threshold

    def step(self, request: InferRequest, choice: ChatCompletionResponseChoice, turn: int) -> InferRequest:
        """The answer, then the feedback as a user message."""
        return append_messages(super().step(request, choice, turn), {"role": "user", "content": self.feedback})
