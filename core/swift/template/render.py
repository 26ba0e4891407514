"""The swift backend: a :class:`TemplateMeta` and a conversation → text segments.

Rendering yields :class:`Segment` s rather than one string so that encoding can
tokenize piece by piece and know exactly which tokens the model must learn to
produce. Joined, the segments are the text the published chat template writes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from swift.template.conversation import Conversation, Message, ToolCall
from swift.template.errors import TemplateError
from swift.template.meta import TemplateMeta, ThinkingFormat, fill

if TYPE_CHECKING:
    from swift.template.agent import AgentTemplate


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
            content = content.split(th.close)[-1].lstrip(th.history_lstrip)
        return _round(th, "", content) if th.every_round else content
    if i > last_query and th.last_round is not None:
        reasoning = ""
        if th.close in content:
            head, _, _ = content.partition(th.close)
            reasoning = head.rstrip("\n").split(th.open)[-1].lstrip("\n")
            content = content.split(th.close)[-1].lstrip("\n")
        if th.every_round or i == len(conv.messages) - 1 or reasoning:
            return _round(th, reasoning, content)
    return content


def _round(th: ThinkingFormat, reasoning: str, content: str) -> str:
    """``th.last_round`` filled with a turn's reasoning and answer."""
    if th.answer_sep is not None:
        answer = content.strip()
        return fill(
            th.last_round, {"reasoning": reasoning.strip(), "content": th.answer_sep + answer if answer else ""}
        )
    return fill(th.last_round, {"reasoning": reasoning.strip("\n"), "content": content.lstrip("\n")})


def _answer(th: ThinkingFormat | None, content: str) -> str:
    """The reply of an assistant message without its reasoning block."""
    if th is not None and th.close in content:
        return content.split(th.close)[-1].lstrip("\n")
    return content


@dataclass(frozen=True)
class Tools:
    """How a conversation's tools are written.

    Attributes:
        agent: The agent template (:mod:`swift.template.agent`).
        native_results: Tool results go, as they are, in the chat template's own tool
            turn (its native format, or a conversation without tools and calls);
            otherwise ``agent.format_result`` writes them where ``agent.results`` says.
        before_user: ``(index, text)``: ``text`` goes before the turn of user message
            ``index`` (Mistral's tool list).
    """

    agent: AgentTemplate
    native_results: bool = True
    before_user: tuple[int, str] | None = None


def render_segments(
    meta: TemplateMeta,
    conv: Conversation,
    *,
    system: str | None,
    values: Mapping[str, str],
    add_generation_prompt: bool,
    enable_thinking: bool | None = None,
    tools: Tools | None = None,
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
        tools: How calls and results are written; ``None`` when nothing uses tools.

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
    agent = tools.agent if tools is not None else None
    # results inside the calling assistant turn (ReAct's Observation:): that turn stays open
    inline_results = agent is not None and not tools.native_results and agent.results == "assistant"
    head, _, tail = meta.assistant.partition("{content}")
    # results written in the chat template's own tool turn may close it before the answer
    after_tool = meta.assistant_prefix_after_tool if not inline_results else None
    open_turn: int | None = None  # the assistant message whose turn is still open
    # the calls still to be answered, with their place in their message: results answer them in order
    waiting: list[tuple[ToolCall, int]] = []
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=-1)

    def close_turn(i: int) -> None:
        add(fill(tail, values), turn=i)
        if i == last and not add_generation_prompt:
            add(fill(meta.suffix, values), turn=i)
        add(fill(meta.turn_sep, values))

    def user_turn(content: str, i: int) -> None:
        nonlocal pending_system
        if tools is not None and tools.before_user is not None and tools.before_user[0] == i:
            add(tools.before_user[1])
        if meta.system_in_last_user and i != last_user:
            add(fill(meta.user, {**values, "content": trimmed("user", content)}))
            return
        if pending_system is not None and meta.trim_with_system:
            content, pending_system = trimmed("user", pending_system + content), None
        else:
            content = trimmed("user", content)
        if pending_system is not None:
            content, pending_system = pending_system + content, None
        suffix = meta.thinking.no_thinking_user_suffix if meta.thinking and enable_thinking is False else ""
        if suffix and not content.endswith(suffix):
            content += suffix
        add(fill(meta.user, {**values, "content": content}))

    def calls_text(i: int, msg: Message, text: str) -> str:
        if not msg.tool_calls:
            return text
        if agent is None:
            raise TemplateError(f"message {i} makes tool calls but no tool format is set")
        block = agent.format_calls(msg.tool_calls)
        if not agent.call_with_content:
            return block
        answer = _answer(meta.thinking, msg.content)
        return text + agent.call_separator + block if answer else text + block

    for i, msg in enumerate(messages):
        if msg.role == "user":
            if open_turn is not None:  # results the assistant never answered: its turn ends
                close_turn(open_turn)
                open_turn = None
            user_turn(msg.content, i)
        elif msg.role == "tool":
            opens = i == 0 or messages[i - 1].role != "tool"
            closes = i == last or messages[i + 1].role != "tool"
            call, index = waiting.pop(0) if waiting else (None, 0)
            if inline_results:
                if open_turn is None:
                    raise TemplateError(f"message {i}: a tool result must follow the assistant message that calls it")
                add(agent.format_result(trimmed("tool", msg.content), call, index))
                continue
            result = trimmed("tool", msg.content)
            if tools is not None and not tools.native_results:
                result = agent.format_result(result, call, index)
            if meta.tool is None:
                if tools is None:
                    raise TemplateError(
                        f"message {i}: template {meta.name!r} has no tool role; give the row 'tools' "
                        "or choose a format with --tools_prompt"
                    )
                user_turn(result, i)  # a family without a tool role reads results as a user turn
                continue
            if meta.tool.json_content:
                result = json.dumps(result, ensure_ascii=False)
            call_id = agent.call_id(call, index) if agent is not None and call is not None else ""
            add(
                (fill(meta.tool.open, values) if opens else "")
                + fill(meta.tool.item, {**values, "content": result, "call_id": call_id})
                + (fill(meta.tool.close, values) if closes else "")
            )
        else:
            text = trimmed("assistant", _assistant_text(meta.thinking, conv, i, last_query))
            text = calls_text(i, msg, text)
            waiting = [(c, k) for k, c in enumerate(msg.tool_calls)]
            if open_turn is not None:
                # the same turn continues after the results it waited for
                add(text, turn=i)
            elif after_tool is not None and i > 0 and messages[i - 1].role == "tool":
                add(fill(after_tool, values))
                add(fill(head, values) + text, turn=i)
            else:
                prefix = fill(meta.assistant_prefix, values)
                # A response that starts with what the generation prompt already holds
                # (an empty think block) keeps it on the prompt side, as at inference.
                if gen_prefix and head == "" and text.startswith(gen_prefix):
                    prefix, text = prefix + gen_prefix, text[len(gen_prefix) :]
                add(prefix)
                # a reply that is only calls may replace the opening of a reply (GLM-4)
                bare = agent is not None and agent.calls_open_reply and msg.tool_calls and not msg.content
                add(("" if bare else fill(head, values)) + text, turn=i)
            open_turn = i
            # results follow: the turn stays open (calls as structured tool_calls or, in a
            # sampled trajectory, as the text the model wrote)
            waits = inline_results and i < last and messages[i + 1].role == "tool"
            if not waits:
                close_turn(i)
                open_turn = None
    if pending_system is not None:
        raise TemplateError(f"template {meta.name!r} puts the system prompt in a user message, but there is none")
    if open_turn is not None:
        return out  # the model continues its own turn after the results (ReAct)
    open_reply = meta.reply_opens_after_user and bool(messages) and messages[-1].role == "user"
    if after_tool is not None and messages[-1].role == "tool":
        # the published template closes the results whether or not a reply is asked for
        add(fill(after_tool, values))
    elif add_generation_prompt or open_reply:
        add(fill(meta.assistant_prefix, values) + gen_prefix)
    else:
        add(fill(meta.end, values))
    return out
