"""The swift backend: a :class:`TemplateMeta` and a conversation → text segments.

Rendering yields :class:`Segment` s rather than one string so that encoding can
tokenize piece by piece and know exactly which tokens the model must learn to
produce. Joined, the segments are the text the published chat template writes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from swift.template.conversation import Conversation
from swift.template.errors import TemplateError
from swift.template.meta import TemplateMeta, ThinkingFormat, fill


@dataclass(frozen=True)
class Segment:
    """A piece of rendered text.

    Attributes:
        text: The text.
        turn: Index (in ``Conversation.messages``) of the assistant message whose
            output this is — the tokens that loss may be computed on — or ``None``
            for prompt text.
    """

    text: str
    turn: int | None = None


def tools_block(meta: TemplateMeta, system: str | None, tools, values: Mapping[str, str]) -> str:
    """The system prompt with the tool list joined to it (Qwen's ``# Tools`` block)."""
    if meta.tools_system is None:
        raise TemplateError(
            f"template {meta.name!r} has no format for a tool list; "
            "describe the tools in the system prompt or use a template that supports "
            "tools (qwen2_5, qwen3)"
        )
    # json.dumps with these defaults is what transformers' `tojson` filter writes.
    listed = "".join("\n" + json.dumps(tool, ensure_ascii=False) for tool in tools)
    block = fill(meta.tools_system, {**values, "tools": listed})
    return block if system is None else f"{system}\n\n{block}"


def generation_prefix(meta: TemplateMeta, enable_thinking: bool | None) -> str:
    r"""What follows the assistant prefix in a generation prompt (R1's ``<think>\n``)."""
    th = meta.thinking
    if th is None:
        return ""
    if enable_thinking is False and th.no_thinking_prefix:
        return th.no_thinking_prefix
    return th.generation_prefix


def _assistant_text(th: ThinkingFormat | None, conv: Conversation, i: int, last_query: int) -> str:
    content = conv.messages[i].content
    if th is None:
        return content
    if i < last_query:
        # Old reasoning is dropped: at inference the model never sees its past thoughts.
        if th.strip_history and th.close in content:
            return content.split(th.close)[-1].lstrip(th.history_lstrip)
        return content
    if i > last_query and th.last_round is not None:
        reasoning = ""
        if th.close in content:
            head, _, _ = content.partition(th.close)
            reasoning = head.rstrip("\n").split(th.open)[-1].lstrip("\n")
            content = content.split(th.close)[-1].lstrip("\n")
        if i == len(conv.messages) - 1 or reasoning:
            return fill(th.last_round, {"reasoning": reasoning.strip("\n"), "content": content.lstrip("\n")})
    return content


def render_segments(
    meta: TemplateMeta,
    conv: Conversation,
    *,
    system: str | None,
    values: Mapping[str, str],
    add_generation_prompt: bool,
    enable_thinking: bool | None = None,
) -> list[Segment]:
    """Lay out ``conv`` with ``meta``.

    Args:
        meta: The template layout.
        conv: A validated conversation.
        system: The system prompt to render (already resolved: row, ``--system``,
            default, tools), or ``None``.
        values: Placeholder values: ``bos``, ``eos`` and the template variables.
        add_generation_prompt: End with the assistant prefix for the model to continue.
        enable_thinking: ``False`` switches reasoning off where the family can.

    Raises:
        TemplateError: When the family cannot render the conversation (a system
            prompt or tool message it has no place for).
    """
    out: list[Segment] = []

    def add(text: str, turn: int | None = None) -> None:
        if text:
            out.append(Segment(text, turn))

    def trimmed(role: str, text: str) -> str:
        return text.strip() if role in meta.trim else text

    pending_system = None
    if system is not None:
        system = trimmed("system", system)
    if system is not None and meta.system_prefix is not None:
        add(fill(meta.system_prefix, {**values, "system": system}))
    else:
        add(fill(meta.prefix, values))
        if system is not None and meta.system_in_user is None:
            raise TemplateError(f"template {meta.name!r} has no system prompt; remove the system message or --system")
        if system is not None:
            pending_system = fill(meta.system_in_user, {**values, "system": system})

    messages = conv.messages
    last = len(messages) - 1
    last_query = conv.last_query_index()
    gen_prefix = generation_prefix(meta, enable_thinking)
    for i, msg in enumerate(messages):
        if msg.role == "user":
            content = msg.content
            if pending_system is not None and meta.trim_with_system:
                content, pending_system = trimmed("user", pending_system + content), None
            else:
                content = trimmed("user", content)
            if pending_system is not None:
                content, pending_system = pending_system + content, None
            add(fill(meta.user, {**values, "content": content}))
        elif msg.role == "tool":
            if meta.tool is None:
                raise TemplateError(f"message {i}: template {meta.name!r} has no tool role")
            opens = i == 0 or messages[i - 1].role != "tool"
            closes = i == last or messages[i + 1].role != "tool"
            result = trimmed("tool", msg.content)
            if meta.tool.json_content:
                result = json.dumps(result, ensure_ascii=False)
            add(
                (fill(meta.tool.open, values) if opens else "")
                + fill(meta.tool.item, {**values, "content": result})
                + (fill(meta.tool.close, values) if closes else "")
            )
        else:
            text = trimmed("assistant", _assistant_text(meta.thinking, conv, i, last_query))
            head = fill(meta.assistant_prefix, values)
            # A response that starts with what the generation prompt already holds
            # (an empty think block) keeps it on the prompt side, as at inference.
            if gen_prefix and meta.assistant.startswith("{content}") and text.startswith(gen_prefix):
                head, text = head + gen_prefix, text[len(gen_prefix) :]
            add(head)
            add(fill(meta.assistant, {**values, "content": text}), turn=i)
            if i == last and not add_generation_prompt:
                add(fill(meta.suffix, values), turn=i)
            add(fill(meta.turn_sep, values))
    if pending_system is not None:
        raise TemplateError(f"template {meta.name!r} puts the system prompt in a user message, but there is none")
    open_reply = meta.reply_opens_after_user and bool(messages) and messages[-1].role == "user"
    if add_generation_prompt or open_reply:
        add(fill(meta.assistant_prefix, values) + gen_prefix)
    else:
        add(fill(meta.end, values))
    return out
