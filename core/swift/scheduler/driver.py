"""Running multi-turn rollouts: generate → check_finished → step, until done.

The loop is written once, as a generator that yields the next request and
receives its answer; the sync, batched and async drivers only differ in how they
get answers from the engine.
"""

from __future__ import annotations

import inspect
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from swift.kernel.errors import UsageError
from swift.protocol import (
    ChatCompletionResponse,
    ChatCompletionResponseChoice,
    InferRequest,
    RequestConfig,
)
from swift.scheduler.base import MultiTurnScheduler, assistant_message


@dataclass
class Trajectory:
    """A finished rollout.

    Attributes:
        messages: The whole conversation, prompt included, ending with the last answer
            or with what the last ``step`` added.
        model_written: For each message, whether the model generated it (prompt
            messages and everything a scheduler injected are False): mask the loss
            of the others.
        prompt_length: How many leading messages were the original prompt.
        choices: The model's answer of each turn.
        data: The dataset row carried by a :class:`~swift.scheduler.RolloutRequest`.
    """

    messages: list[dict[str, Any]]
    model_written: list[bool]
    prompt_length: int
    choices: list[ChatCompletionResponseChoice] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def turns(self) -> int:
        """Number of model answers."""
        return len(self.choices)

    @property
    def finish_reason(self) -> str | None:
        """Finish reason of the last answer (``length`` means it was cut)."""
        return self.choices[-1].finish_reason if self.choices else None

    @property
    def completion(self) -> list[dict[str, Any]]:
        """The messages after the prompt: the chat-format completion reward functions score."""
        return self.messages[self.prompt_length :]

    def training_messages(self) -> list[dict[str, Any]]:
        """Messages whose assistant turns carry ``"loss": model_written``.

        Encoded by a template, only the answers the model wrote are trained on.
        """
        return [
            {**m, "loss": written} if m["role"] == "assistant" else dict(m)
            for m, written in zip(self.messages, self.model_written)
        ]


def _carry_flags(before: list[dict], flags: list[bool], after: list[dict]) -> list[bool]:
    # Flags survive along the unchanged prefix; a rewritten or new message is the scheduler's.
    carried: list[bool] = []
    same = True
    for i, message in enumerate(after):
        same = same and i < len(before) and message == before[i]
        carried.append(flags[i] if same else False)
    return carried


def rollout(
    scheduler: MultiTurnScheduler, request: InferRequest
) -> Generator[InferRequest, ChatCompletionResponseChoice, Trajectory]:
    """The rollout loop as a generator: yields requests, receives answers, returns a Trajectory."""
    prompt_length = len(request.messages)
    flags = [False] * prompt_length
    choices: list[ChatCompletionResponseChoice] = []
    data = dict(getattr(request, "data", None) or {})
    while True:
        choice = yield request
        choices.append(choice)
        answered = [*request.messages, assistant_message(choice)]
        answered_flags = [*flags, True]
        if scheduler.check_finished(request, choice, len(choices)):
            return Trajectory(answered, answered_flags, prompt_length, choices, data)
        following = scheduler.step(request, choice, len(choices))
        if not isinstance(following, InferRequest):
            raise UsageError(
                f"scheduler {scheduler.name}.step() returned {type(following).__name__}; it must return an InferRequest"
            )
        flags = _carry_flags(answered, answered_flags, following.messages)
        request = following
        if request.messages[-1]["role"] == "assistant":  # nothing left to answer
            return Trajectory(list(request.messages), flags, prompt_length, choices, data)


def _check_config(config: RequestConfig | None) -> None:
    if config is not None and (config.n != 1 or config.stream):
        raise UsageError(
            "a multi-turn rollout takes one non-streamed answer per turn: use n=1 and "
            "stream=False (repeat the request for several rollouts)"
        )


def _as_choice(result: Any) -> ChatCompletionResponseChoice:
    if isinstance(result, ChatCompletionResponse):
        return result.choices[0]
    if isinstance(result, ChatCompletionResponseChoice):
        return result
    raise UsageError(
        f"the engine returned {type(result).__name__}; expected a ChatCompletionResponse "
        "or a ChatCompletionResponseChoice"
    )


def _generate(engine: Any, requests: list[InferRequest], config: RequestConfig | None) -> list:
    if hasattr(engine, "infer"):
        results = engine.infer(requests, config)
        if len(results) != len(requests):
            raise UsageError(f"the engine answered {len(results)} of {len(requests)} requests")
        return [_as_choice(r) for r in results]
    if callable(engine):
        return [_as_choice(engine(r, config)) for r in requests]
    raise UsageError(f"{type(engine).__name__} is neither an engine (with infer) nor a callable")


def run_multi_turn_batch(
    engine: Any,
    requests: Sequence[InferRequest],
    request_config: RequestConfig | None,
    scheduler: MultiTurnScheduler,
) -> list[Trajectory]:
    """Roll out several requests, one engine batch per turn.

    Args:
        engine: An :class:`~swift.protocol.InferEngine` (its ``infer`` gets all
            unfinished requests of a turn at once), or a callable
            ``fn(request, request_config) -> ChatCompletionResponse | choice``.
        requests: The prompts (``RolloutRequest`` to carry dataset columns).
        request_config: Generation settings of every turn (``n=1``, no streaming).
        scheduler: Decides when each rollout ends and what comes next.

    Returns:
        One :class:`Trajectory` per request, in order.
    """
    _check_config(request_config)
    loops = [rollout(scheduler, r) for r in requests]
    pending = {i: next(loop) for i, loop in enumerate(loops)}
    done: dict[int, Trajectory] = {}
    while pending:
        order = list(pending)
        answers = _generate(engine, [pending[i] for i in order], request_config)
        for i, choice in zip(order, answers):
            try:
                pending[i] = loops[i].send(choice)
            except StopIteration as stop:
                done[i] = stop.value
                del pending[i]
    return [done[i] for i in range(len(loops))]


def run_multi_turn(
    engine: Any,
    request: InferRequest,
    request_config: RequestConfig | None,
    scheduler: MultiTurnScheduler,
) -> Trajectory:
    """Roll out one request: generate, ``check_finished``, ``step``, repeat.

    See :func:`run_multi_turn_batch` for the arguments.
    """
    return run_multi_turn_batch(engine, [request], request_config, scheduler)[0]


async def run_multi_turn_async(
    engine: Any,
    request: InferRequest,
    request_config: RequestConfig | None,
    scheduler: MultiTurnScheduler,
) -> Trajectory:
    """:func:`run_multi_turn` on an engine's ``infer_async`` (or an async callable).

    Run many rollouts concurrently with ``asyncio.gather``; the engine batches them.
    """
    _check_config(request_config)
    loop = rollout(scheduler, request)
    current = next(loop)
    while True:
        if hasattr(engine, "infer_async"):
            result = await engine.infer_async(current, request_config)
        else:
            result = engine(current, request_config)
            if inspect.isawaitable(result):
                result = await result
        try:
            current = loop.send(_as_choice(result))
        except StopIteration as stop:
            return stop.value
