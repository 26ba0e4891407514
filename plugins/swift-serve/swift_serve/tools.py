r"""OpenAI tool calling on top of any engine: ``tool_choice``, ``tool_calls`` in answers and streams.

The engine generates text; the model's tool format (the template's agent template:
``hermes`` for Qwen, ``--tools_prompt`` when given) reads the calls back out of it.

* ``tool_choice``: ``auto`` (the default with tools) lets the model decide; ``none`` does
  not offer the tools; ``required`` and a named function start the answer with the
  format's call opening (``<tool_call>\\n{"name": "`` …), so the model can only continue
  a call.
* Answers: the calls become ``message.tool_calls`` (content ``None`` when nothing else was
  said) with ``finish_reason: "tool_calls"``; text without a well-formed call stays text.
* Streams: text is sent as it comes until a call may start (the format's marker, or a
  partial marker at the end); from there it is held, and the last chunk carries the
  ``delta.tool_calls`` (or, if no call parses, the held text).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from swift.protocol import ChatCompletionResponse, ChatCompletionStreamResponse

logger = logging.getLogger("swift_serve")


@dataclass(frozen=True)
class ToolUse:
    """How one request's answer is read for tool calls.

    Attributes:
        agent: The template's tool format (:class:`swift.contracts.AgentTemplateLike`).
        prefix: The forced start of the answer (``tool_choice`` required / named), part
            of the text that is parsed.
    """

    agent: Any
    prefix: str = ""

    def parse(self, text: str) -> tuple[str, list[dict[str, Any]]]:
        """``(content, OpenAI tool_calls)`` of an answer; a malformed call is text, never an error."""
        try:
            content, calls = self.agent.parse_calls(text)
        except Exception:  # noqa: BLE001 - a plugin's parser must not turn an answer into a 500
            logger.exception("tool format %r failed to parse an answer; returned as text", self.agent.name)
            return text, []
        return content, [call.to_openai() for call in calls]


def tool_use_for(engine: Any, tools: list | None, tool_choice: Any) -> ToolUse | None:
    """The :class:`ToolUse` of a request with ``tools`` (``None`` without, or for an engine without a template)."""
    template = getattr(engine, "template", None)
    if not tools or template is None or not hasattr(template, "agent_template"):
        return None
    agent = template.agent_template
    if tool_choice == "required":
        return ToolUse(agent, agent.call_prefix(None))
    if isinstance(tool_choice, dict):
        return ToolUse(agent, agent.call_prefix(tool_choice["function"]["name"]))
    return ToolUse(agent)


def read_tool_calls(response: ChatCompletionResponse, use: ToolUse) -> ChatCompletionResponse:
    """Turn the calls in each choice's text into ``message.tool_calls``."""
    for choice in response.choices:
        text = use.prefix + (choice.message.content or "")
        content, calls = use.parse(text)
        if calls:
            choice.message.content = content or None
            choice.message.tool_calls = calls
            choice.finish_reason = "tool_calls"
        else:
            choice.message.content = text
    return response


def _sendable(text: str, marker: str, sent: int) -> int:
    """How much of ``text`` cannot be the start of a call (everything before the marker or a partial one).

    ``text[:sent]`` was sent, so it holds no marker: only what follows is searched, which
    keeps a long stream linear.
    """
    if not marker:
        return 0
    found = text.find(marker, sent)
    if found != -1:
        return found
    for k in range(min(len(marker) - 1, len(text)), 0, -1):
        if text.endswith(marker[:k]):
            return len(text) - k
    return len(text)


async def stream_tool_calls(
    chunks: AsyncIterator[ChatCompletionStreamResponse], use: ToolUse
) -> AsyncIterator[ChatCompletionStreamResponse]:
    """The engine's chunks with calls held back and sent as ``delta.tool_calls`` at the end."""
    texts: dict[int, str] = {}
    sent: dict[int, int] = {}
    async for chunk in chunks:
        for choice in chunk.choices:
            i = choice.index
            text = texts.get(i, use.prefix) + (choice.delta.content or "")
            texts[i] = text
            done = sent.get(i, 0)
            if choice.finish_reason is None:
                upto = max(done, _sendable(text, use.agent.call_marker, done))
                choice.delta.content = text[done:upto]
                sent[i] = upto
                continue
            content, calls = use.parse(text)
            if calls:
                choice.delta.content = content[done:] or None
                choice.delta.tool_calls = [{"index": k, **call} for k, call in enumerate(calls)]
                choice.finish_reason = "tool_calls"
            else:
                choice.delta.content = text[done:]
        yield chunk
