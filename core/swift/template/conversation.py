"""Checking a row and turning it into a :class:`Conversation` the renderers trust.

A row is ``{"messages": [{"role", "content"}, ...], "system"?: str, "tools"?: list}``.
Every problem is a :class:`~swift.template.errors.TemplateError` that names the
message at fault, so a dataset report can say why a row was dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from swift.template.errors import TemplateError

ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class Message:
    """One non-system message.

    Attributes:
        role: ``user``, ``assistant`` or ``tool``.
        content: Its text.
        loss: ms-swift's per-message ``"loss"`` key: ``False`` never trains this
            assistant turn, ``True`` always does; ``None`` follows ``loss_scale``.
    """

    role: str
    content: str
    loss: bool | None = None


@dataclass(frozen=True)
class Conversation:
    """A validated conversation.

    Attributes:
        messages: The messages after the system prompt.
        system: The row's own system prompt (first ``system`` message or the
            row's ``system`` key), ``None`` if it has none.
        tools: Tool definitions (JSON-like dicts) or ``None``.
    """

    messages: tuple[Message, ...]
    system: str | None = None
    tools: tuple[Any, ...] | None = None

    @property
    def ends_with_assistant(self) -> bool:
        """Whether the last message is the assistant's (the reply to train on)."""
        return bool(self.messages) and self.messages[-1].role == "assistant"

    def last_query_index(self) -> int:
        """Index of the last real user message, or the last index when there is none.

        Tool results wrapped in a user turn do not count.
        """
        for i in range(len(self.messages) - 1, -1, -1):
            msg = self.messages[i]
            if msg.role == "user" and not (
                msg.content.startswith("<tool_response>") and msg.content.endswith("</tool_response>")
            ):
                return i
        return len(self.messages) - 1


def parse_row(row: Any) -> Conversation:
    """Validate a dataset row.

    Raises:
        TemplateError: What is wrong and where.
    """
    if not isinstance(row, Mapping):
        raise TemplateError(f"a row must be a dict with 'messages', got {type(row).__name__}")
    if "messages" not in row:
        raise TemplateError(f"row has no 'messages' (keys: {', '.join(map(str, row)) or 'none'})")
    return parse_messages(row["messages"], system=row.get("system"), tools=row.get("tools"))


def parse_messages(messages: Any, system: str | None = None, tools: Any = None) -> Conversation:
    """Validate a message list (plus an optional separate system prompt and tools).

    Raises:
        TemplateError: On an empty list, an unknown role, non-string content, a
            system message after the first position, or two system prompts.
    """
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise TemplateError(f"'messages' must be a list of dicts, got {type(messages).__name__}")
    if not messages:
        raise TemplateError("'messages' is empty")
    if system is not None and not isinstance(system, str):
        raise TemplateError(f"'system' must be a string, got {type(system).__name__}")
    parsed: list[Message] = []
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise TemplateError(f"message {i} must be a dict with 'role' and 'content', got {type(message).__name__}")
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            raise TemplateError(f"message {i} has unknown role {role!r}; expected one of {', '.join(ROLES)}")
        if not isinstance(content, str):
            raise TemplateError(f"message {i} ({role}) content must be a string, got {type(content).__name__}")
        if role == "system":
            if i != 0:
                raise TemplateError(f"message {i} is a system message; only the first message may be one")
            if system is not None:
                raise TemplateError("the row has both a 'system' key and a system message; keep one")
            system = content
            continue
        loss = message.get("loss")
        if loss is not None and not isinstance(loss, bool):
            raise TemplateError(f"message {i} 'loss' must be true, false or absent, got {loss!r}")
        parsed.append(Message(role, content, loss))
    if not parsed:
        raise TemplateError("'messages' holds only a system message; add user/assistant messages")
    if isinstance(tools, str):  # ms-swift datasets often store the tool list as JSON text
        try:
            tools = json.loads(tools) if tools.strip() else None
        except ValueError as exc:
            raise TemplateError(f"'tools' is a string but not JSON: {exc}") from None
    if tools is not None:
        if isinstance(tools, (bytes, Mapping)) or not isinstance(tools, Sequence):
            raise TemplateError(f"'tools' must be a list of tool definitions, got {type(tools).__name__}")
        tools = tuple(tools) or None
    return Conversation(tuple(parsed), system, tools)
