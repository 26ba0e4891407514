"""Multi-turn scheduler conformance: ``check_finished`` and ``step`` return the right types."""

from __future__ import annotations

from swift_sdk.conformance.errors import fail
from swift_sdk.conformance.plugin import PluginUnderTest


def check_scheduler(plugin: PluginUnderTest, name: str) -> None:
    """Drive the scheduler ``name`` through one answer, as a GRPO rollout does.

    Checks: it builds with ``max_turns``; ``check_finished(request, choice, turn)``
    returns a bool; when not finished, ``step`` returns an ``InferRequest`` with a
    non-empty message list that keeps the rollout's ``data``.

    Raises:
        ConformanceError: Naming the scheduler and the wrong return value.
    """
    from swift.protocol import ChatCompletionResponseChoice, ChatMessage, InferRequest
    from swift.scheduler import RolloutRequest, load_scheduler

    def problem(text: str) -> Exception:
        return fail(plugin.label, text, family="schedulers", record=name)

    with plugin.active():
        try:
            scheduler = load_scheduler(name, max_turns=3)
        except Exception as exc:  # noqa: BLE001 - reported to the author
            raise problem(f"cannot be built with max_turns=3: {type(exc).__name__}: {exc}") from exc
    request = RolloutRequest(messages=[{"role": "user", "content": "What is 2 + 2?"}], data={"solution": "4"})
    for reason in ("stop", "length"):
        choice = ChatCompletionResponseChoice(index=0, message=ChatMessage(content="It is 5."), finish_reason=reason)
        finished = scheduler.check_finished(request, choice, 1)
        if not isinstance(finished, bool):
            raise problem(f"check_finished() returned {finished!r}; it must return True or False")
        if finished:
            continue
        following = scheduler.step(request, choice, 1)
        if not isinstance(following, InferRequest):
            raise problem(f"step() returned {type(following).__name__}; it must return an InferRequest")
        if not following.messages or not all(isinstance(m, dict) and "role" in m for m in following.messages):
            raise problem(f"step() returned messages {following.messages!r}; expected role/content dicts")
        if isinstance(following, RolloutRequest) and following.data != request.data:
            raise problem("step() lost the rollout's data (use swift.scheduler.append_messages)")
