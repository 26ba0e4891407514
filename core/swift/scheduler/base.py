"""The multi-turn scheduler contract: ``check_finished`` and ``step``.

A GRPO rollout may take several turns: the model answers, the environment (a
tool, a checker, a user simulator) replies, the model answers again. A
:class:`MultiTurnScheduler` decides after each answer whether the rollout is
over (:meth:`~MultiTurnScheduler.check_finished`) and, if not, builds the next
request (:meth:`~MultiTurnScheduler.step`). :func:`swift.scheduler.run_multi_turn`
drives it against any engine.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from swift.kernel.errors import UsageError
from swift.protocol import ChatCompletionResponseChoice, InferRequest


@dataclass
class RolloutRequest(InferRequest):
    """An :class:`~swift.protocol.InferRequest` that carries its dataset row.

    Schedulers that judge answers need the row's other columns (``solution`` …);
    engines ignore ``data``. :func:`append_messages` keeps it across turns.

    Attributes:
        data: Dataset columns of this prompt (``{"solution": "42"}``).
    """

    data: dict[str, Any] = field(default_factory=dict)


def assistant_message(choice: ChatCompletionResponseChoice) -> dict[str, Any]:
    """The assistant message of a generated choice."""
    return {"role": "assistant", "content": choice.message.content}


def append_messages(request: InferRequest, *messages: dict[str, Any]) -> InferRequest:
    """A copy of ``request`` with ``messages`` appended (same class, tools and data)."""
    return dataclasses.replace(request, messages=[*request.messages, *messages])


class MultiTurnScheduler:
    """Default multi-turn logic; subclass it and override what differs.

    One scheduler serves every rollout of a run (rollouts may run concurrently),
    so keep per-rollout state in the request (``RolloutRequest.data``), not on ``self``.

    Args:
        max_turns: Most model answers per rollout (``--max_turns``); None = no limit
            beyond what :meth:`check_finished` decides.
        **kwargs: ``args`` (the command's arguments) is kept as ``self.args``;
            other keywords are accepted for ms-swift compatibility and ignored.

    Attributes:
        keeps_special_tokens: The answers this scheduler reads keep the tokenizer's special
            tokens (``RequestConfig.skip_special_tokens`` false): set it when you read tool
            calls, since some formats' markers are special tokens (Mistral's ``[TOOL_CALLS]``).

    Example::

        class ToolLoop(MultiTurnScheduler):
            def check_finished(self, request, choice, turn):
                return "<tool>" not in choice.message.content or super().check_finished(
                    request, choice, turn)

            def step(self, request, choice, turn):
                result = run_tool(choice.message.content)
                return append_messages(super().step(request, choice, turn),
                                       {"role": "tool", "content": result})
    """

    keeps_special_tokens = False

    def __init__(self, max_turns: int | None = None, **kwargs: Any) -> None:
        if max_turns is not None and max_turns < 1:
            raise UsageError(f"--max_turns must be >= 1, got {max_turns}")
        self.max_turns = max_turns
        self.args = kwargs.get("args")
        self.template: Any = None

    def bind_template(self, template: Any) -> None:
        """Give the scheduler the model's template (``swift.template.Template``).

        Called by the trainer before the first rollout; schedulers that read the model's
        tool calls (``template.parse_tool_calls``) or render prompts need it.
        """
        self.template = template

    @property
    def name(self) -> str:
        """Name shown in errors (the class name unless a subclass says otherwise)."""
        return type(self).__name__

    def check_finished(self, request: InferRequest, choice: ChatCompletionResponseChoice, turn: int) -> bool:
        """Whether the rollout ends with this answer.

        Args:
            request: The request this answer replies to (the answer not yet appended).
            choice: The answer.
            turn: 1 for the first answer, 2 for the second …

        Returns:
            True when the answer was cut at max_tokens (``finish_reason == "length"``:
            the budget is spent and the answer is incomplete) or ``max_turns`` answers
            were given.
        """
        if choice.finish_reason == "length":
            return True
        return self.max_turns is not None and turn >= self.max_turns

    def step(self, request: InferRequest, choice: ChatCompletionResponseChoice, turn: int) -> InferRequest:
        """The next request, built from this one and its answer.

        The default appends the answer as an assistant message. Subclasses add
        the environment's reply (a ``tool`` or ``user`` message) after it; a request
        that still ends with an assistant message leaves the model nothing to
        answer, so the rollout ends there.

        Args:
            request: The request this answer replies to.
            choice: The answer.
            turn: 1 for the first answer, 2 for the second …
        """
        return append_messages(request, assistant_message(choice))
