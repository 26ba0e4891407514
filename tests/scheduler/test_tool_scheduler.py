"""The built-in ``tool_call`` scheduler and ``calculator`` tool: calls run, errors come back as results."""

from __future__ import annotations

import json

import pytest

from swift.kernel import UsageError
from swift.protocol import ChatCompletionResponseChoice, ChatMessage
from swift.scheduler import RolloutRequest, load_scheduler, run_multi_turn

CALCULATOR = {"type": "function", "function": {"name": "calculator", "parameters": {"type": "object"}}}


def agent(*answers: str):
    """Gives the scripted answers in order, one per model turn."""

    def model(request, request_config):
        n = sum(m["role"] == "assistant" for m in request.messages)
        return ChatCompletionResponseChoice(index=0, message=ChatMessage(content=answers[n]), finish_reason="stop")

    return model


def call(name: str, **arguments) -> str:
    return f'<tool_call>\n{{"name": "{name}", "arguments": {json.dumps(arguments)}}}\n</tool_call>'


@pytest.fixture
def scheduler(kernel):
    from swift.template import get_template
    from swift_sdk.tiny import build_tokenizer

    scheduler = load_scheduler("tool_call")
    scheduler.bind_template(get_template("qwen2_5", build_tokenizer()))
    return scheduler


def ask(tools=(CALCULATOR,)) -> RolloutRequest:
    return RolloutRequest(messages=[{"role": "user", "content": "What is 6 * 7?"}], tools=list(tools))


def test_a_call_runs_the_tool_and_the_result_comes_back(scheduler):
    trajectory = run_multi_turn(agent(call("calculator", expression="6 * 7"), "It is 42."), ask(), None, scheduler)
    assert [m["role"] for m in trajectory.messages] == ["user", "assistant", "tool", "assistant"]
    assert trajectory.messages[2]["content"] == "42"
    assert trajectory.model_written == [False, True, False, True]


@pytest.mark.parametrize(
    ("answer", "tools", "result"),
    [
        (call("calculator", expression="import os"), [CALCULATOR], "error: SyntaxError"),
        (call("calculator", expression="2 ** 1000000"), [CALCULATOR], "exponent 1000000 is too large"),
        (call("calculator", wrong="1"), [CALCULATOR], "error: TypeError"),
        (call("search", q="x"), [CALCULATOR], "no tool named 'search' was offered"),
        (
            call("search", q="x"),
            [CALCULATOR, {"type": "function", "function": {"name": "search"}}],
            "'search' is not available",
        ),
    ],
)
def test_a_call_that_cannot_run_answers_with_the_error(scheduler, answer, tools, result):
    trajectory = run_multi_turn(agent(answer, "Sorry."), ask(tools), None, scheduler)
    assert result in trajectory.messages[2]["content"]
    assert trajectory.turns == 2


def test_an_answer_without_a_call_ends_the_rollout_and_max_turns_bounds_it(scheduler):
    assert run_multi_turn(agent("42."), ask(), None, scheduler).turns == 1
    looping = agent(*[call("calculator", expression="1 + 1")] * 10)
    assert run_multi_turn(looping, ask(), None, scheduler).turns == scheduler.max_turns == 5


def test_the_scheduler_needs_the_template(kernel):
    with pytest.raises(UsageError, match="bind_template"):
        run_multi_turn(agent(call("calculator", expression="1")), ask(), None, load_scheduler("tool_call"))
