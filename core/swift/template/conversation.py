"""Checking a row and turning it into a :class:`Conversation` the renderers trust.

A row is ``{"messages": [{"role", "content"}, ...], "system"?: str, "tools"?: list}``.
Every problem is a :class:`~swift.template.errors.TemplateError` that names the
message at fault, so a dataset report can say why a row was dropped.

Tool use arrives in two shapes and leaves in one:

* OpenAI's — ``tools`` (a list, or its JSON text), assistant messages with
  ``tool_calls`` (``{"id", "type": "function", "function": {"name", "arguments"}}``,
  ``arguments`` a JSON string or an object; ``content`` may be null) and ``tool``
  messages with the results;
* ms-swift's agent rows — ``tool_call`` messages whose content is the JSON of one call
  (``{"name", "arguments"}``; several in a row are one turn's calls) and
  ``tool_response`` messages with the results.

Both become assistant :class:`Message` s carrying :class:`ToolCall` s and ``tool``
messages; malformed tool JSON is a :class:`TemplateError` (a bad row).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from swift.template.errors import TemplateError

ROLES = ("system", "user", "assistant", "tool")
# ms-swift's agent roles, folded into the ones above
AGENT_ROLES = {"tool_call": "assistant", "tool_response": "tool"}


@dataclass(frozen=True)
class ToolCall:
    """One function call an assistant message makes.

    Attributes:
        name: The function's name.
        arguments: Its arguments, decoded from JSON (an object for every real tool);
            templates write them back with ``json.dumps``, as the published chat
            templates' ``tojson`` does.
        id: The call's id (OpenAI's ``call_…``), if the data has one.
    """

    name: str
    arguments: Any
    id: str | None = None

    @property
    def arguments_json(self) -> str:
        """The arguments as JSON text (what OpenAI's ``function.arguments`` holds)."""
        return json.dumps(self.arguments, ensure_ascii=False)

    def to_openai(self) -> dict[str, Any]:
        """The call as an OpenAI ``tool_calls`` entry (a fresh ``call_…`` id when it has none)."""
        return {
            "id": self.id or f"call_{uuid.uuid4().hex[:24]}",
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments_json},
        }


@dataclass(frozen=True)
class Message:
    """One non-system message.

    Attributes:
        role: ``user``, ``assistant`` or ``tool``.
        content: Its text.
        loss: ms-swift's per-message ``"loss"`` key: ``False`` never trains this
            assistant turn, ``True`` always does; ``None`` follows ``loss_scale``.
        tool_calls: The calls an assistant message makes (after its ``content``).
    """

    role: str
    content: str
    loss: bool | None = None
    tool_calls: tuple[ToolCall, ...] = ()


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


def _json(value: Any, what: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise TemplateError(f"{what} is not JSON: {exc}") from None
    return value


def parse_tool_call(value: Any, what: str = "tool call") -> ToolCall:
    """One call from OpenAI's ``{"id", "type", "function": {...}}``, ``{"name", "arguments"}`` or their JSON text.

    Raises:
        TemplateError: Not JSON, no string ``name``, or ``arguments`` that are not JSON.
    """
    value = _json(value, what)
    if not isinstance(value, Mapping):
        raise TemplateError(f"{what} must be an object with 'name' and 'arguments', got {type(value).__name__}")
    call_id = value.get("id")
    function = value.get("function")
    if isinstance(function, Mapping):
        value = function
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise TemplateError(f"{what} has no function name")
    arguments = value.get("arguments", value.get("parameters"))
    arguments = {} if arguments is None else _json(arguments, f"{what} ({name}) arguments")
    return ToolCall(name, arguments, call_id if isinstance(call_id, str) and call_id else None)


def parse_tool_calls(value: Any, what: str = "tool_calls") -> tuple[ToolCall, ...]:
    """A message's ``tool_calls``: a list (or its JSON text) of calls; ``None`` for none.

    Raises:
        TemplateError: On anything that is not a list of valid calls.
    """
    value = _json(value, what)
    if value is None:
        return ()
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise TemplateError(f"{what} must be a list of calls, got {type(value).__name__}")
    return tuple(parse_tool_call(call, f"{what}[{j}]") for j, call in enumerate(value))


def parse_tools(tools: Any) -> tuple[Any, ...] | None:
    """A row's tool list (or its JSON text, as ms-swift datasets store it); ``None`` for none.

    Raises:
        TemplateError: Not JSON, not a list, or a tool without a function name.
    """
    if isinstance(tools, str) and not tools.strip():
        return None
    tools = _json(tools, "'tools'")
    if tools is None:
        return None
    if isinstance(tools, (str, bytes, Mapping)) or not isinstance(tools, Sequence):
        raise TemplateError(f"'tools' must be a list of tool definitions, got {type(tools).__name__}")
    for j, tool in enumerate(tools):
        function = tool.get("function", tool) if isinstance(tool, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            raise TemplateError(f"'tools'[{j}] must be a function definition with a 'name'")
    return tuple(tools) or None


def tool_name(tool: Mapping[str, Any]) -> str:
    """The function name of a tool definition (OpenAI's nested or a flat one)."""
    function = tool.get("function", tool)
    return str(function.get("name", ""))


def tool_function(tool: Mapping[str, Any]) -> Mapping[str, Any]:
    """The function part of a tool definition: ``name``, ``description``, ``parameters``."""
    function = tool.get("function", tool)
    return function if isinstance(function, Mapping) else {}


def _message(i: int, message: Any) -> Message:
    if not isinstance(message, Mapping):
        raise TemplateError(f"message {i} must be a dict with 'role' and 'content', got {type(message).__name__}")
    role, content = message.get("role"), message.get("content")
    if role in AGENT_ROLES:
        if role == "tool_call":
            return Message("assistant", "", tool_calls=(parse_tool_call(content, f"message {i} (tool_call)"),))
        role = AGENT_ROLES[role]
    if role not in ROLES:
        known = ", ".join((*ROLES, *AGENT_ROLES))
        raise TemplateError(f"message {i} has unknown role {role!r}; expected one of {known}")
    calls = parse_tool_calls(message.get("tool_calls"), f"message {i} tool_calls")
    if calls and role != "assistant":
        raise TemplateError(f"message {i} is a {role} message with tool_calls; only assistant messages make calls")
    if content is None and calls:
        content = ""  # OpenAI: an assistant message that only calls tools has null content
    if not isinstance(content, str):
        raise TemplateError(f"message {i} ({role}) content must be a string, got {type(content).__name__}")
    loss = message.get("loss")
    if loss is not None and not isinstance(loss, bool):
        raise TemplateError(f"message {i} 'loss' must be true, false or absent, got {loss!r}")
    return Message(role, content, loss, calls)


def parse_messages(messages: Any, system: str | None = None, tools: Any = None) -> Conversation:
    """Validate a message list (plus an optional separate system prompt and tools).

    Consecutive ms-swift ``tool_call`` messages join the assistant message before them.

    Raises:
        TemplateError: On an empty list, an unknown role, non-string content, a
            system message after the first position, two system prompts, or
            malformed tool JSON.
    """
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise TemplateError(f"'messages' must be a list of dicts, got {type(messages).__name__}")
    if not messages:
        raise TemplateError("'messages' is empty")
    if system is not None and not isinstance(system, str):
        raise TemplateError(f"'system' must be a string, got {type(system).__name__}")
    parsed: list[Message] = []
    for i, raw in enumerate(messages):
        if isinstance(raw, Mapping) and raw.get("role") == "system":
            if i != 0:
                raise TemplateError(f"message {i} is a system message; only the first message may be one")
            if system is not None:
                raise TemplateError("the row has both a 'system' key and a system message; keep one")
            if not isinstance(raw.get("content"), str):
                raise TemplateError(f"message {i} (system) content must be a string")
            system = raw["content"]
            continue
        message = _message(i, raw)
        joins = isinstance(raw, Mapping) and raw.get("role") == "tool_call"
        if joins and parsed and parsed[-1].role == "assistant":
            last = parsed[-1]
            parsed[-1] = Message("assistant", last.content, last.loss, last.tool_calls + message.tool_calls)
        else:
            parsed.append(message)
    if not parsed:
        raise TemplateError("'messages' holds only a system message; add user/assistant messages")
    return Conversation(tuple(parsed), system, parse_tools(tools))
