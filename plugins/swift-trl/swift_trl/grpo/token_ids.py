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

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from swift.kernel import UsageError
from swift.protocol import ChatCompletionResponse, ChatCompletionResponseChoice, InferRequest
from swift.scheduler import assistant_message


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
    return ids + (end_remainder(ids, turn_end_ids) or [])


def end_remainder(ids: Sequence[int], turn_end_ids: Sequence[int]) -> list[int] | None:
    r"""What of the template's end of turn comes after sampled ``ids`` that end with its start.

    ``[...,<|im_end|>]`` against ChatML's ``<|im_end|>\n`` → the ``\n``; None when ``ids`` end
    with no part of it (a stop string, another end token).
    """
    end = list(turn_end_ids)
    for k in range(min(len(end), len(ids)), 0, -1):
        if list(ids[-k:]) == end[:k]:
            return end[k:]
    return None


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


# Stands for an answer's text while the template renders (or trains) what follows it.
ANSWER_MARKER = "SWIFT_ANSWER_MARKER"


@dataclass
class Chain:
    """A multi-turn rollout so far, as the engine saw and sampled it.

    Attributes:
        ids: Every token: the prompts, each sampled answer, what the template wrote after it.
        sampled: 1 where the model sampled the token, 0 elsewhere (prompt, environment,
            the end of turn the template appended).
    """

    ids: list[int]
    sampled: list[int]


class TokenChains:
    r"""Multi-turn rollouts continued from the tokens the model sampled, as trl builds them.

    A scheduler continues a rollout with messages; encoding those again with the template
    need not give back the sampled tokens of the earlier answers (a cut character, a rare
    tokenization), and the model would then be trained on tokens it never sampled. So the
    next turn is sent to the engine as token ids: the tokens of the turn before, the sampled
    answer, what the template writes after an answer (``\n`` after ``<|im_end|>``; the whole
    end of turn after a cut answer), then the injected messages encoded by the template.
    Only the sampled tokens are trained.

    A request whose messages do not extend an answered rollout (a scheduler that rewrote
    history), or an answer without token ids, goes to the engine as messages: the trainer
    then encodes the whole conversation from its text.
    """

    def __init__(self, template: Any, turn_end: str) -> None:
        self.template = template
        self.turn_end = turn_end
        self.turn_end_ids = list(template.tokenizer.encode(turn_end, add_special_tokens=False))
        # answered conversation → its chains; rollouts whose answers read the same (G samples
        # of one prompt) queue up, and each continuation takes one, so every chain is used once
        self._answered: dict[str, list[tuple[Chain, list[dict]]]] = {}
        self._by_choice: dict[int, tuple[ChatCompletionResponseChoice, Chain]] = {}

    def clear(self) -> None:
        """Forget the rollouts of the round before."""
        self._answered.clear()
        self._by_choice.clear()

    def of(self, choice: Any) -> Chain | None:
        """The whole rollout up to and including ``choice``'s answer, or None."""
        entry = self._by_choice.get(id(choice))
        return entry[1] if entry is not None and entry[0] is choice else None

    def request_for(self, request: Any) -> tuple[Any, Chain | None]:
        """What to send the engine for ``request``: token ids continuing its rollout, or the request itself."""
        messages = list(request.messages)
        for k in range(len(messages) - 1, 0, -1):
            waiting = self._answered.get(_key(messages[:k]))
            if not waiting:
                continue
            chain, answered = waiting.pop(0)
            environment = self._environment(answered, request)
            if environment is None:
                return request, None
            prompt = Chain(chain.ids + environment, chain.sampled + [0] * len(environment))
            return InferRequest(messages=[], prompt_ids=prompt.ids), prompt
        return request, None

    def record(self, request: Any, prompt: Chain | None, response: Any) -> None:
        """Remember the rollout up to ``response``'s answer, for the next turn and the trainer."""
        if not isinstance(response, ChatCompletionResponse) or not response.choices:
            return
        choice = response.choices[0]
        sampled = getattr(choice, "token_ids", None)
        if sampled is None:
            return
        if prompt is None:
            if response.prompt_token_ids is None:
                return
            prompt = Chain(list(response.prompt_token_ids), [0] * len(response.prompt_token_ids))
        answered = Chain(prompt.ids + list(sampled), prompt.sampled + [1] * len(sampled))
        self._by_choice[id(choice)] = (choice, answered)
        after = self._after_answer(choice, list(sampled))
        messages = [*request.messages, assistant_message(choice)]
        chain = Chain(answered.ids + after, answered.sampled + [0] * len(after))
        self._answered.setdefault(_key(messages), []).append((chain, messages))

    def _after_answer(self, choice: Any, sampled: list[int]) -> list[int]:
        # what the template writes after an answer's text that the model did not sample
        rest = end_remainder(sampled, self.turn_end_ids) if choice.finish_reason != "length" else None
        return list(self.turn_end_ids) if rest is None else rest

    def _environment(self, answered: list[dict], request: Any) -> list[int] | None:
        # The template's text for the messages after the answer, encoded alone. Found by
        # rendering the new conversation with a marker for the answer's text: what follows
        # the marker and the template's end of turn. (Diffing two renderings would not do:
        # templates such as Qwen3's render the last answer differently from a history one.)
        options = {"system": getattr(request, "system", None), "tools": getattr(request, "tools", None)}
        messages = [dict(m) for m in request.messages]
        messages[len(answered) - 1]["content"] = ANSWER_MARKER
        text = self.template.render(messages, messages[-1]["role"] != "assistant", **options)
        if text.count(ANSWER_MARKER) != 1:
            return None
        rest = text.split(ANSWER_MARKER, 1)[1]
        if not rest.startswith(self.turn_end):
            return None
        return list(self.template.tokenizer.encode(rest[len(self.turn_end) :], add_special_tokens=False))

    def engine(self, engine: Any) -> ChainingEngine:
        """``engine`` sending continued rollouts as token ids and recording every answer here."""
        return ChainingEngine(engine, self)


class ChainingEngine:
    """An engine wrapper for multi-turn rollouts (see :class:`TokenChains`)."""

    def __init__(self, engine: Any, chains: TokenChains):
        self.engine = engine
        self.chains = chains

    def infer(self, requests: Sequence[Any], request_config: Any = None) -> list:
        """Generate: continued rollouts as token ids, first turns as messages."""
        sent = [self.chains.request_for(r) for r in requests]
        responses = self.engine.infer([s for s, _ in sent], request_config)
        for request, (_, prompt), response in zip(requests, sent, responses):
            self.chains.record(request, prompt, response)
        return responses


def _key(messages: Sequence[dict]) -> str:
    return json.dumps(list(messages), sort_keys=True, ensure_ascii=False, default=str)
