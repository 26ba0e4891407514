"""The built-in ``retry_wrong`` scheduler: wrong answers get a second chance."""

from __future__ import annotations

import pytest

from swift.kernel import UsageError
from swift.protocol import ChatCompletionResponseChoice, ChatMessage, InferRequest
from swift.scheduler import RolloutRequest, load_scheduler, run_multi_turn


def student(*answers: str):
    """Gives the scripted answers in order, one per model turn."""

    def model(request, request_config):
        n = sum(m["role"] == "assistant" for m in request.messages)
        return ChatCompletionResponseChoice(index=0, message=ChatMessage(content=answers[n]), finish_reason="stop")

    return model


def question(solution: str | None = "12") -> RolloutRequest:
    return RolloutRequest(messages=[{"role": "user", "content": "3 * 4?"}], data={"solution": solution})


def test_a_wrong_answer_gets_feedback_and_another_try(kernel):
    scheduler = load_scheduler("retry_wrong")
    trajectory = run_multi_turn(student(r"\boxed{7}", r"\boxed{12}"), question(), None, scheduler)
    assert [m["role"] for m in trajectory.messages] == ["user", "assistant", "user", "assistant"]
    assert trajectory.messages[2]["content"] == scheduler.feedback
    assert trajectory.model_written == [False, True, False, True]
    assert trajectory.turns == 2


def test_a_right_first_answer_ends_the_rollout(kernel):
    trajectory = run_multi_turn(student(r"\boxed{12}"), question(), None, load_scheduler("retry_wrong"))
    assert trajectory.turns == 1


def test_retries_end_at_max_turns_three_by_default(kernel):
    wrong = student(*[rf"\boxed{{{i}}}" for i in range(10)])
    assert run_multi_turn(wrong, question(), None, load_scheduler("retry_wrong")).turns == 3
    assert run_multi_turn(wrong, question(), None, load_scheduler("retry_wrong", max_turns=5)).turns == 5


def test_an_answer_that_cannot_be_judged_ends_the_rollout(kernel):
    trajectory = run_multi_turn(student(r"\boxed{7}"), question("no number"), None, load_scheduler("retry_wrong"))
    assert trajectory.turns == 1


def test_plain_requests_without_data_are_a_clear_error(kernel):
    plain = InferRequest(messages=[{"role": "user", "content": "3 * 4?"}])
    with pytest.raises(UsageError, match="needs swift.scheduler.RolloutRequest"):
        run_multi_turn(student(r"\boxed{7}"), plain, None, load_scheduler("retry_wrong"))
