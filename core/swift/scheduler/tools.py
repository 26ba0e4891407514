"""``tool_call``: a multi-turn scheduler that runs the tools a model calls and sends back the results.

After each answer the model's tool calls are read with its template's tool format (the
sampler binds the template: :meth:`~swift.scheduler.MultiTurnScheduler.bind_template`);
each call runs the ``tools`` record of that name with the call's arguments, and the
results go back as ``tool`` messages for the next turn. An answer without a call ends
the rollout. The trajectory (calls, results, final answer) is what reward functions see
as the completion.

Errors a model makes — a function that does not exist or was not offered, arguments the
function refuses — come back to it as the tool's result (``error: …``), as an agent
environment would answer; they never stop training.
"""

from __future__ import annotations

import json
from typing import Any

from swift.kernel.errors import UsageError
from swift.protocol import ChatCompletionResponseChoice, InferRequest
from swift.scheduler.base import MultiTurnScheduler, append_messages
from swift.template.conversation import tool_name


class ToolCallScheduler(MultiTurnScheduler):
    """Run the model's tool calls against ``tools`` records until it answers without one.

    Class attributes (override in a subclass):
        default_max_turns: Answers per rollout when ``--max_turns`` is not given.
    """

    default_max_turns = 5
    keeps_special_tokens = True

    def __init__(self, max_turns: int | None = None, **kwargs: Any) -> None:
        super().__init__(max_turns or self.default_max_turns, **kwargs)

    @property
    def name(self) -> str:
        """Name used in errors and records."""
        return "tool_call"

    def _calls(self, request: InferRequest, choice: ChatCompletionResponseChoice) -> list[Any]:
        if not request.tools:
            return []
        if self.template is None:
            raise UsageError(
                "multi-turn scheduler 'tool_call' reads calls with the model's template; "
                "call bind_template(template) first (swift rlhf does)"
            )
        return self.template.parse_tool_calls(choice.message.content or "")[1]

    def check_finished(self, request: InferRequest, choice: ChatCompletionResponseChoice, turn: int) -> bool:
        """Finished when the base rules say so or the answer calls no tool."""
        return super().check_finished(request, choice, turn) or not self._calls(request, choice)

    def step(self, request: InferRequest, choice: ChatCompletionResponseChoice, turn: int) -> InferRequest:
        """The answer, then one ``tool`` message per call with its result."""
        offered = {tool_name(t) for t in request.tools or () if isinstance(t, dict)}
        results = [
            {"role": "tool", "content": self.run_tool(call.name, call.arguments, offered)}
            for call in self._calls(request, choice)
        ]
        return append_messages(super().step(request, choice, turn), *results)

    def run_tool(self, name: str, arguments: Any, offered: set[str]) -> str:
        """The result text of one call (``error: …`` when it cannot run)."""
        from swift.contracts import load_tool
        from swift.kernel import registry

        if name not in offered:
            return f"error: no tool named {name!r} was offered; the tools are {', '.join(sorted(offered))}"
        if name not in registry("tools"):
            return f"error: tool {name!r} is not available in this environment"
        if not isinstance(arguments, dict):
            return f"error: the arguments of {name!r} must be a JSON object"
        try:
            result = load_tool(name)(**arguments)
        except Exception as exc:  # noqa: BLE001 - the model reads what went wrong
            return f"error: {type(exc).__name__}: {exc}"
        return result if isinstance(result, str) else json.dumps(result, ensure_ascii=False, default=str)
