"""The exact tokens of a rollout, when the engine returns them (``return_token_ids``).

Re-encoding an answer's text need not give back the tokens the model sampled (on the
tiny model a 64-token answer came back as 76): the loss would then score a sequence
the model never wrote, and ``max_completion_length`` would not bound it. Engines that
honour ``RequestConfig.return_token_ids`` (the ``pt`` engine, ``swift rollout``, vLLM)
hand back each answer's sampled ids and the prompt ids they generated from; the
trainer trains on the former and checks the latter against its own encoding. Engines
that return no ids keep the text path of :mod:`swift_trl.grpo.sampling`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from swift.kernel import UsageError
from swift.protocol import ChatCompletionResponse, ChatCompletionResponseChoice


class PromptMismatchError(UsageError):
    """The engine generated from other prompt tokens than the trainer trains on."""


class PromptIds:
    """The prompt ids each answer was generated from, looked up by the answer.

    Kept beside the trajectories because a trajectory holds only its choices (the
    prompt ids travel on the response). Entries hold their choice, so an ``id()`` key
    is never reused while the round is encoded; :meth:`clear` starts a new round.
    """

    def __init__(self) -> None:
        self._by_choice: dict[int, tuple[ChatCompletionResponseChoice, list[int]]] = {}

    def clear(self) -> None:
        """Forget the token ids of earlier rollouts."""
        self._by_choice.clear()

    def record(self, response: ChatCompletionResponse) -> None:
        """Remember ``response.prompt_token_ids`` for each of its choices (if it has them)."""
        if response.prompt_token_ids is None:
            return
        for choice in response.choices:
            self._by_choice[id(choice)] = (choice, list(response.prompt_token_ids))

    def of(self, choice: Any) -> list[int] | None:
        """The prompt ids ``choice`` was generated from, or None when the engine gave none."""
        entry = self._by_choice.get(id(choice))
        return entry[1] if entry is not None and entry[0] is choice else None

    def recording(self, engine: Any) -> RecordingEngine:
        """``engine`` with every response it answers recorded here."""
        return RecordingEngine(engine, self)


class RecordingEngine:
    """An engine that records the prompt ids of what it answers.

    The multi-turn driver sees only choices, so this is where they are still at hand.
    """

    def __init__(self, engine: Any, prompt_ids: PromptIds):
        self.engine = engine
        self.prompt_ids = prompt_ids

    def infer(self, requests: Sequence[Any], request_config: Any = None) -> list:
        """Generate, keeping the sampled token ids of every choice."""
        responses = self.engine.infer(requests, request_config)
        for response in responses:
            if isinstance(response, ChatCompletionResponse):
                self.prompt_ids.record(response)
        return responses


def sampled_answer_ids(choice: Any, text: str, turn_end_ids: Sequence[int]) -> list[int] | None:
    r"""The tokens of answer ``text`` as sampled, completed to the template's end of turn.

    None when the engine returned no ids or ``text`` is not the choice's own text.

    After a ``stop`` the ids already end with the sampled end token (``<|im_end|>``):
    only what the template's turn end has beyond it (ChatML's ``\n``) is added, as
    SFT trains it. After ``length`` the answer was cut and nothing is added. An answer
    stopped by a stop string or another end token is kept exactly as sampled.
    """
    ids = getattr(choice, "token_ids", None)
    if ids is None or choice.message.content != text:
        return None
    ids = list(ids)
    if choice.finish_reason == "length":
        return ids
    end = list(turn_end_ids)
    for k in range(min(len(end), len(ids)), 0, -1):
        if ids[-k:] == end[:k]:
            return ids + end[k:]
    return ids


def check_prompt(engine_ids: Sequence[int] | None, trainer_ids: Sequence[int]) -> None:
    """Refuse a rollout whose prompt the engine encoded differently from the trainer.

    Raises:
        PromptMismatchError: Naming where the two encodings part.
    """
    if engine_ids is None or list(engine_ids) == list(trainer_ids):
        return
    at = next(
        (i for i, (a, b) in enumerate(zip(engine_ids, trainer_ids)) if a != b),
        min(len(engine_ids), len(trainer_ids)),
    )
    raise PromptMismatchError(
        f"the rollout engine encoded a prompt as {len(engine_ids)} tokens and the trainer "
        f"as {len(trainer_ids)} (they differ from token {at}): the rollout server and the "
        "trainer must use the same --template, --system and --max_length"
    )
