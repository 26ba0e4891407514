"""One row of any supported layout → standardized ``messages``.

Layouts, detected per row in this order (the first field present wins):

* ``messages`` or ``conversations``: ``[{"role", "content"}, …]`` or sharegpt's
  ``[{"from": "human"|"gpt"|"system", "value"}, …]``; an optional ``system`` column
  becomes the first message;
* ``conversation``: ``[{"human": q, "assistant": r}, …]`` pairs (ms-swift's sharegpt),
  optional ``system``;
* alpaca: ``instruction`` (+ ``input``) → user, ``output`` → assistant, optional
  ``system`` and ``history``;
* ``query`` / ``response`` with ``history`` (``[[q, r], …]``) and ``system``;
* ``text``: one assistant turn, for pretraining.

Tool use (see :mod:`swift.template.conversation`): assistant messages with OpenAI
``tool_calls`` and ms-swift's ``tool_call`` messages become assistant messages whose
``tool_calls`` is the JSON text of ``[{"name", "arguments"}, …]``; ``tool_response`` and
``function`` messages become ``tool`` messages; a ``tools`` column becomes its JSON text.
Every message has the ``tool_calls`` key (``None`` without calls), so every dataset has
the same ``messages`` type and any two can be concatenated.
Text, because Arrow would otherwise merge every row's tool schemas into one struct
and add the keys a tool lacks as nulls. Malformed tool JSON drops the row.

Pure Python, so it runs the same inside ``datasets.map`` workers and in plain loops.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# The columns folded into ``messages``; every other column is kept beside it.
SOURCE_COLUMNS = (
    "messages",
    "conversations",
    "conversation",
    "instruction",
    "input",
    "output",
    "query",
    "response",
    "history",
    "system",
    "text",
)

ROLE_ALIASES = {
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "gpt": "assistant",
    "bot": "assistant",
    "model": "assistant",
    "system": "system",
    "tool": "tool",
    "observation": "tool",
    "function": "tool",
    "tool_response": "tool",
    "tool_call": "tool_call",
}


class RowError(ValueError):
    """A row that cannot become a conversation; ``reason`` is shown to the user."""

    @property
    def reason(self) -> str:
        """The reason the row was dropped."""
        return str(self.args[0])


def rename_columns(row: Mapping[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    """Apply ``--columns`` (old name → new name) to one row.

    A renamed column replaces a column that already had the new name.
    """
    if not columns:
        return dict(row)
    out = {k: v for k, v in row.items() if k not in columns}
    for old, new in columns.items():
        if old in row:
            out[new] = row[old]
    return out


def _present(row: Mapping[str, Any], key: str) -> bool:
    return row.get(key) is not None


def _maybe_json(value: Any, what: str) -> Any:
    # csv cells and some hub datasets store nested fields as JSON text
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise RowError(f"{what} is text that is not valid JSON") from exc
    return value


def _text(row: Mapping[str, Any], key: str, *, required: bool) -> str:
    value = row.get(key)
    if value is None:
        if required:
            raise RowError(f"missing {key!r}")
        return ""
    if not isinstance(value, str):
        raise RowError(f"{key!r} must be a string, got {type(value).__name__}")
    return value


def _history(row: Mapping[str, Any]) -> list[dict[str, str]]:
    history = row.get("history")
    # csv cells hold an empty string for "no history"
    history = _maybe_json(history, "'history'") if history not in (None, "") else []
    if not isinstance(history, (list, tuple)):
        raise RowError(f"'history' must be a list of [query, response] pairs, got {type(history).__name__}")
    turns = []
    for i, pair in enumerate(history, 1):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise RowError(f"'history' item {i} must be a [query, response] pair")
        turns += [{"role": "user", "content": pair[0]}, {"role": "assistant", "content": pair[1]}]
    return turns


def _system(row: Mapping[str, Any]) -> list[dict[str, str]]:
    system = _text(row, "system", required=False)
    return [{"role": "system", "content": system}] if system.strip() else []


def _from_messages(row: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    raw = _maybe_json(row[key], repr(key))
    if not isinstance(raw, (list, tuple)):
        raise RowError(f"{key!r} must be a list of messages, got {type(raw).__name__}")
    messages = []
    for i, message in enumerate(raw, 1):
        if not isinstance(message, Mapping):
            raise RowError(f"message {i} must be an object with role and content")
        # arrow unifies message structs, so absent keys arrive as None
        role = message.get("role") if message.get("role") is not None else message.get("from")
        content = message.get("content") if message.get("content") is not None else message.get("value")
        item = {"role": role, "content": content}
        if message.get("tool_calls") is not None:
            item["tool_calls"] = message["tool_calls"]
        messages.append(item)
    if messages and messages[0]["role"] != "system":
        messages = _system(row) + messages
    return messages


def _from_pairs(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    pairs = _maybe_json(row["conversation"], "'conversation'")
    if not isinstance(pairs, (list, tuple)):
        raise RowError(f"'conversation' must be a list of turns, got {type(pairs).__name__}")
    turns = _system(row)
    for i, pair in enumerate(pairs, 1):
        if not isinstance(pair, Mapping) or pair.get("human") is None:
            raise RowError(f"'conversation' turn {i} needs 'human' (and 'assistant')")
        turns.append({"role": "user", "content": pair["human"]})
        if pair.get("assistant") is not None:
            turns.append({"role": "assistant", "content": pair["assistant"]})
    return turns


def _from_alpaca(row: Mapping[str, Any], require_response: bool) -> list[dict[str, Any]]:
    instruction = _text(row, "instruction", required=True)
    extra = _text(row, "input", required=False)
    query = "\n".join(part for part in (instruction, extra) if part.strip())
    turns = [*_system(row), *_history(row), {"role": "user", "content": query}]
    if _present(row, "output") or require_response:
        turns.append({"role": "assistant", "content": _text(row, "output", required=True)})
    return turns


def _from_query(row: Mapping[str, Any], require_response: bool) -> list[dict[str, Any]]:
    turns = [
        *_system(row),
        *_history(row),
        {"role": "user", "content": _text(row, "query", required=True)},
    ]
    if _present(row, "response") or require_response:
        turns.append({"role": "assistant", "content": _text(row, "response", required=True)})
    return turns


def _from_text(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "assistant", "content": _text(row, "text", required=True)}]


def _layouts(require_response: bool) -> tuple:
    return (
        ("messages", lambda row: _from_messages(row, "messages")),
        ("conversations", lambda row: _from_messages(row, "conversations")),
        ("conversation", _from_pairs),
        ("instruction", lambda row: _from_alpaca(row, require_response)),
        ("query", lambda row: _from_query(row, require_response)),
        ("text", _from_text),
    )


def _raw_messages(row: Mapping[str, Any], require_response: bool) -> list[dict[str, Any]]:
    layouts = _layouts(require_response)
    for key, build in layouts:
        if _present(row, key):
            return build(row)
    # a table has every column in every row: an empty key column names the layout
    for key, _ in layouts:
        if key in row:
            raise RowError(f"missing {key!r}")
    fields = ", ".join(repr(k) for k, v in row.items() if v is not None) or "none"
    raise RowError(
        "no 'messages', 'conversations', 'instruction'/'output', 'query'/'response' or 'text' "
        f"field (fields present: {fields}; rename yours with --columns)"
    )


def to_messages(row: Mapping[str, Any], *, require_response: bool = True) -> list[dict[str, Any]]:
    """The conversation of one row as ``[{"role", "content", "tool_calls"}, …]``.

    Args:
        row: The row, after ``--columns`` renaming.
        require_response: Demand a final assistant turn (training); GRPO prompts and
            inference data may end with the user.

    Raises:
        RowError: With a reason a user can act on (missing field, wrong type, empty
            content, unknown role, no final assistant turn).
    """
    messages: list[dict[str, Any]] = []
    for i, message in enumerate(_raw_messages(row, require_response), 1):
        role, content = message["role"], message["content"]
        if not isinstance(role, str) or role.lower() not in ROLE_ALIASES:
            known = ", ".join(sorted(set(ROLE_ALIASES)))
            raise RowError(f"message {i} has unknown role {role!r} (known: {known})")
        role = ROLE_ALIASES[role.lower()]
        if role == "tool_call" or message.get("tool_calls") is not None:
            _add_calls(messages, i, role, content, message.get("tool_calls"))
            continue
        if content is None:
            raise RowError(f"message {i} ({role}) has no content")
        if not isinstance(content, str):
            raise RowError(f"message {i} ({role}) content must be a string, got {type(content).__name__}")
        if not content.strip():
            if role == "system":
                continue  # an empty system prompt means "no system prompt"
            raise RowError(f"message {i} ({role}) has empty content")
        if role == "system" and messages:
            raise RowError(f"message {i} is a system message; only the first message may be one")
        messages.append({"role": role, "content": content, "tool_calls": None})
    if not any(m["role"] != "system" for m in messages):
        raise RowError("conversation has no user or assistant message")
    if require_response and messages[-1]["role"] != "assistant":
        raise RowError(f"conversation ends with a {messages[-1]['role']} turn, not an assistant turn")
    return messages


def _calls_json(calls: Any) -> str:
    return json.dumps(
        [{"name": c.name, "arguments": c.arguments, **({"id": c.id} if c.id else {})} for c in calls],
        ensure_ascii=False,
    )


def _add_calls(messages: list[dict[str, Any]], i: int, role: str, content: Any, tool_calls: Any) -> None:
    """An assistant message with calls (OpenAI) or an ms-swift ``tool_call`` message, as stored calls."""
    from swift.template import TemplateError
    from swift.template.conversation import parse_tool_call, parse_tool_calls

    try:
        if role == "tool_call":
            calls, content = (parse_tool_call(content, f"message {i} (tool_call)"),), ""
        elif role != "assistant":
            raise RowError(f"message {i} is a {role} message with tool_calls; only assistant messages make calls")
        else:
            calls = parse_tool_calls(tool_calls, f"message {i} tool_calls")
    except TemplateError as exc:
        raise RowError(str(exc)) from None
    if content is not None and not isinstance(content, str):
        raise RowError(f"message {i} (assistant) content must be a string, got {type(content).__name__}")
    last = messages[-1] if messages else None
    if role == "tool_call" and last is not None and last["role"] == "assistant":
        # consecutive tool_call messages (and one after assistant text) are one turn's calls
        earlier = json.loads(last["tool_calls"]) if last.get("tool_calls") else []
        last["tool_calls"] = json.dumps(earlier + json.loads(_calls_json(calls)), ensure_ascii=False)
        return
    messages.append({"role": "assistant", "content": content or "", "tool_calls": _calls_json(calls)})


def tools_column(value: Any) -> str | None:
    """A row's ``tools`` as JSON text (``None`` for none).

    Raises:
        RowError: Not JSON, not a list, or a tool without a name.
    """
    from swift.template import TemplateError
    from swift.template.conversation import parse_tools

    try:
        tools = parse_tools(value)
    except TemplateError as exc:
        raise RowError(str(exc)) from None
    return None if tools is None else json.dumps(list(tools), ensure_ascii=False)


def lift_media_parts(row: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAI content parts of ``messages`` → text with ``<image>`` tags and the ``images`` column.

    (:mod:`swift.template.media`.) A row that also has an ``images`` column is refused: the
    order of the two lists would be a guess.

    Raises:
        RowError: A malformed part, or parts with media next to a media column.
    """
    from swift.template import TemplateError
    from swift.template.media import flatten_messages, has_parts

    key = next((k for k in ("messages", "conversations") if row.get(k) is not None), None)
    if key is None:
        return dict(row)
    raw = _maybe_json(row[key], repr(key))
    if not has_parts(raw):
        return dict(row)
    try:
        messages, media = flatten_messages(raw)
    except TemplateError as exc:
        raise RowError(str(exc)) from None
    out = {**row, key: messages}
    for column, items in media.items():
        if not items:
            continue
        if row.get(column):
            raise RowError(f"media both in content parts and in the {column!r} column; give them one way")
        out[column] = items
    return out


def media_paths(columns: dict[str, Any], base_dir: str | None) -> dict[str, Any]:
    """``columns`` with the relative paths of its media columns made absolute against ``base_dir``."""
    from swift.template.media import COLUMNS, resolve_paths

    if not base_dir:
        return columns
    return {k: resolve_paths(v, base_dir) if k in COLUMNS.values() and v is not None else v for k, v in columns.items()}


def extra_columns(row: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of ``row`` kept beside ``messages`` (``solution``, ``rejected_response`` …).

    ``tools`` is stored as JSON text (see the module docstring).
    """
    extra = {k: v for k, v in row.items() if k not in SOURCE_COLUMNS}
    if "tools" in extra:
        extra["tools"] = tools_column(extra["tools"])
    return extra
