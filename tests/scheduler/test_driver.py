"""The multi-turn driver: generate → check_finished → step, and what the trajectory records.

The engine here is a deterministic function from the conversation to an answer:
the scheduler logic is what is under test.
"""

from __future__ import annotations

import asyncio

import pytest

from swift.kernel import UsageError
from swift.protocol import (
    ChatCompletionResponse,
    ChatCompletionResponseChoice,
    ChatMessage,
    InferRequest,
    RequestConfig,
    UsageInfo,
)
from swift.scheduler import (
    MultiTurnScheduler,
    RolloutRequest,
    append_messages,
    run_multi_turn,
    run_multi_turn_async,
    run_multi_turn_batch,
)


def answer(text: str, finish: str = "stop") -> ChatCompletionResponseChoice:
    return ChatCompletionResponseChoice(index=0, message=ChatMessage(content=text), finish_reason=finish)


def counting_model(request, request_config=None):
    """Answers 'answer N' where N counts the model's earlier answers in the conversation."""
    n = sum(m["role"] == "assistant" for m in request.messages)
    return answer(f"answer {n}")


class AskAgain(MultiTurnScheduler):
    """Always continues with a user turn; counts its step calls."""

    def __init__(self, max_turns=None, **kwargs):
        super().__init__(max_turns, **kwargs)
        self.steps = []

    def step(self, request, choice, turn):
        self.steps.append(turn)
        return append_messages(super().step(request, choice, turn), {"role": "user", "content": f"again {turn}"})


def prompt(text: str = "start") -> InferRequest:
    return InferRequest(messages=[{"role": "user", "content": text}])


def test_the_default_scheduler_stops_after_one_answer():
    trajectory = run_multi_turn(counting_model, prompt(), None, MultiTurnScheduler(max_turns=5))
    assert trajectory.messages == [
        {"role": "user", "content": "start"},
        {"role": "assistant", "content": "answer 0"},
    ]
    assert trajectory.model_written == [False, True]
    assert (trajectory.turns, trajectory.finish_reason) == (1, "stop")


def test_the_rollout_stops_at_max_turns_with_one_step_per_continued_turn():
    scheduler = AskAgain(max_turns=3)
    trajectory = run_multi_turn(counting_model, prompt(), RequestConfig(max_tokens=8), scheduler)
    assert trajectory.turns == 3
    assert scheduler.steps == [1, 2]
    assert [m["content"] for m in trajectory.messages] == [
        "start",
        "answer 0",
        "again 1",
        "answer 1",
        "again 2",
        "answer 2",
    ]
    assert trajectory.model_written == [False, True, False, True, False, True]
    assert trajectory.completion == trajectory.messages[1:]


def test_the_rollout_stops_when_an_answer_is_cut_by_max_tokens():
    def cut_on_second(request, request_config):
        n = sum(m["role"] == "assistant" for m in request.messages)
        return answer(f"answer {n}", "length" if n == 1 else "stop")

    scheduler = AskAgain(max_turns=10)
    trajectory = run_multi_turn(cut_on_second, prompt(), None, scheduler)
    assert (trajectory.turns, trajectory.finish_reason) == (2, "length")
    assert scheduler.steps == [1]
    assert trajectory.messages[-1] == {"role": "assistant", "content": "answer 1"}


def test_injected_turns_and_prompt_history_are_not_marked_as_model_written():
    class CannedToolCall(MultiTurnScheduler):
        def step(self, request, choice, turn):
            return append_messages(
                super().step(request, choice, turn),
                {
                    "role": "assistant",
                    "content": "<tool>lookup</tool>",
                },  # written by us, not the model
                {"role": "tool", "content": "result"},
            )

    history = InferRequest(
        messages=[
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "q0"},
            {"role": "assistant", "content": "old answer"},
            {"role": "user", "content": "q1"},
        ]
    )
    trajectory = run_multi_turn(counting_model, history, None, CannedToolCall(max_turns=2))
    assert [m["role"] for m in trajectory.messages] == [
        "system",
        "user",
        "assistant",
        "user",
        "assistant",
        "assistant",
        "tool",
        "assistant",
    ]
    assert trajectory.model_written == [False, False, False, False, True, False, False, True]
    assert [m.get("loss") for m in trajectory.training_messages() if m["role"] == "assistant"] == [
        False,
        True,
        False,
        True,
    ]
    assert trajectory.prompt_length == 4


def test_a_step_that_rewrites_the_models_answer_makes_it_injected():
    class Redact(AskAgain):
        def step(self, request, choice, turn):
            nxt = super().step(request, choice, turn)
            messages = [dict(m) for m in nxt.messages]
            messages[-2]["content"] = "[redacted]"
            return InferRequest(messages=messages)

    trajectory = run_multi_turn(counting_model, prompt(), None, Redact(max_turns=2))
    assert [m["content"] for m in trajectory.messages] == [
        "start",
        "[redacted]",
        "again 1",
        "answer 1",
    ]
    assert trajectory.model_written == [False, False, False, True]


class BatchEngine:
    """An InferEngine-shaped fake recording the size of every batch."""

    model_name, adapter_names = "fake", ()

    def __init__(self):
        self.batches = []

    def infer(self, requests, request_config=None, *, adapter=None):
        self.batches.append(len(requests))
        return [ChatCompletionResponse(model="fake", choices=[counting_model(r)], usage=UsageInfo()) for r in requests]

    async def infer_async(self, request, request_config=None, *, adapter=None):
        await asyncio.sleep(0)
        return self.infer([request], request_config)[0]


def test_the_batch_driver_sends_one_batch_per_turn_with_the_unfinished_rollouts():
    class StopOnShort(AskAgain):
        def check_finished(self, request, choice, turn):
            return request.messages[0]["content"] == "short" or super().check_finished(request, choice, turn)

    engine = BatchEngine()
    short, long = run_multi_turn_batch(engine, [prompt("short"), prompt("long")], None, StopOnShort(max_turns=3))
    assert engine.batches == [2, 1, 1]
    assert (short.turns, long.turns) == (1, 3)


def test_the_async_driver_uses_infer_async_and_keeps_the_request_data():
    engine = BatchEngine()

    async def main():
        requests = [RolloutRequest(messages=[{"role": "user", "content": str(i)}], data={"id": i}) for i in range(3)]
        return await asyncio.gather(*(run_multi_turn_async(engine, r, None, AskAgain(max_turns=2)) for r in requests))

    trajectories = asyncio.run(main())
    assert [t.data for t in trajectories] == [{"id": 0}, {"id": 1}, {"id": 2}]
    assert [t.turns for t in trajectories] == [2, 2, 2]
    assert engine.batches == [1] * 6


def test_the_request_data_survives_each_step():
    seen = []

    class Peek(AskAgain):
        def check_finished(self, request, choice, turn):
            seen.append(request.data["solution"])
            return super().check_finished(request, choice, turn)

    request = RolloutRequest(messages=[{"role": "user", "content": "q"}], data={"solution": "4"})
    trajectory = run_multi_turn(counting_model, request, None, Peek(max_turns=3))
    assert seen == ["4", "4", "4"] and trajectory.data == {"solution": "4"}


def test_several_answers_per_turn_are_refused():
    with pytest.raises(UsageError, match="one non-streamed answer per turn"):
        run_multi_turn(counting_model, prompt(), RequestConfig(n=2), MultiTurnScheduler())


def test_a_step_that_returns_no_request_is_a_clear_error():
    class Broken(MultiTurnScheduler):
        def step(self, request, choice, turn):
            return request.messages

    with pytest.raises(UsageError, match=r"Broken.step\(\) returned list"):
        run_multi_turn(counting_model, prompt(), None, Broken(max_turns=2))


def test_max_turns_must_be_positive():
    with pytest.raises(UsageError, match="--max_turns must be >= 1"):
        MultiTurnScheduler(max_turns=0)
