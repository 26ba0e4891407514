r"""Agent templates (``--tools_prompt``): how tools, calls and results are written as text.

A chat template (:class:`~swift.template.TemplateMeta`) lays out turns; an agent template
decides what goes inside them when a conversation uses tools:

* :meth:`AgentTemplate.tools_prompt` — the tool list joined to the system prompt;
* :meth:`AgentTemplate.format_calls` — an assistant message's calls, written after its
  content (what the model learns to produce);
* :meth:`AgentTemplate.format_result` — one tool result; ``results`` says where it goes:
  ``"tool"`` in the chat template's tool turn (a user turn when it has none), or
  ``"assistant"`` inside the calling assistant turn, untrained, the next assistant
  message continuing that turn (ReAct's ``Observation:``);
* :meth:`AgentTemplate.parse_calls` — the reverse of ``format_calls`` on generated text,
  which ``swift deploy`` turns into OpenAI ``tool_calls``; ``call_marker`` is where a
  call starts (a stream holds text back from there) and :meth:`AgentTemplate.call_prefix`
  the opening that forces a call (``tool_choice`` "required" or a named function).

A chat template with a native format names it (``TemplateMeta.agent_template``:
``hermes`` for Qwen 2.5/3); ``--tools_prompt`` overrides it; a template without one
uses ``react_en``. A plugin adds a format by registering a
:class:`~swift.kernel.AgentTemplateRecord` that names an :class:`AgentTemplate` subclass.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from swift.template.conversation import ToolCall, tool_function, tool_name


def _dumps(value: Any, **kwargs: Any) -> str:
    # what transformers' `tojson` filter writes: no ASCII escaping, keys in their order
    return json.dumps(value, ensure_ascii=False, **kwargs)


def _join(system: str | None, block: str) -> str:
    return block if not system else f"{system}\n\n{block}"


def _describe(tool: Mapping[str, Any]) -> str:
    """One tool as a line: ``name: description Parameters: {json schema}``."""
    function = tool_function(tool)
    return f"{tool_name(tool)}: {function.get('description', '')} Parameters: {_dumps(function.get('parameters', {}))}"


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


class AgentTemplate(ABC):
    """Base class of the agent templates; subclasses set the class attributes and implement the abstract methods.

    Attributes:
        name: ``--tools_prompt`` name.
        results: ``"tool"`` or ``"assistant"`` (see the module docstring).
        stop_words: Strings that end generation where the model must wait for a result
            (ReAct's ``Observation:``); added to the template's stop words.
        call_separator: Put between a message's content and its calls when both exist.
        call_marker: Text every call starts with; ``""`` when a reply that calls is
            only the call (GLM-4).
        call_with_content: Whether a message's text is written before its calls (Llama 3.1+
            and Mistral write only the calls).
        calls_open_reply: A reply that is only calls starts right after the assistant
            prefix, in place of the chat template's opening of a reply (GLM-4 writes the
            function name where a reply's newline goes).
        tools_in_user: ``"first"`` or ``"last"``: the tool list goes with that user message
            instead of into the system prompt — inside it (:meth:`user_prompt`, Llama 3.1+:
            the first) or just before its turn (:meth:`before_user`, Mistral: the last);
            ``""``: the system prompt.
        system_header: Filled into a chat template's ``{tools_header}`` placeholder when the
            conversation has tools (Llama 3.1+'s ``Environment: ipython``).
        lists_tools: Whether the tool list is written at all (DeepSeek's published template
            writes none: the data's system prompt must describe the tools).
    """

    name = ""
    results = "tool"
    stop_words: tuple[str, ...] = ()
    call_separator = "\n"
    call_marker = ""
    call_with_content = True
    calls_open_reply = False
    tools_in_user = ""
    system_header = ""
    lists_tools = True

    def user_prompt(self, content: str, tools: Sequence[Mapping[str, Any]]) -> str:
        """The user message the tool list goes into (``tools_in_user``), with the list written in it."""
        return content

    def before_user(self, tools: Sequence[Mapping[str, Any]]) -> str:
        """Text written before the turn of the user message the tools go with (``tools_in_user``)."""
        return ""

    def call_id(self, call: ToolCall, index: int) -> str:
        """The id written for ``call``, the ``index``-th of its message (formats that write ids)."""
        return call.id or ""

    def call_prefix(self, name: str | None) -> str:
        """The start of a reply that must call a tool (``name``, or any when ``None``)."""
        return self.call_marker

    @abstractmethod
    def tools_prompt(self, system: str | None, tools: Sequence[Mapping[str, Any]]) -> str:
        """The system prompt (``None``: the row has none) with ``tools`` described in it."""

    @abstractmethod
    def format_calls(self, calls: Sequence[ToolCall]) -> str:
        """The text of an assistant message's tool calls."""

    def format_result(self, content: str, call: ToolCall | None = None, index: int = 0) -> str:
        """The text of one tool result; ``call`` is the call it answers when known (the ``index``-th of its message)."""
        return content

    @abstractmethod
    def parse_calls(self, text: str) -> tuple[str, list[ToolCall]]:
        """``(content, calls)`` of generated ``text``; no calls (and ``text`` whole) when none is well formed."""

    def read_calls(self, text: str, pattern: re.Pattern) -> tuple[str, list[ToolCall]]:
        """:meth:`parse_calls` for formats whose ``pattern`` captures (name, JSON arguments) per call.

        Calls are read from ``call_marker`` on; the text before it is the content. One call
        whose arguments are not JSON makes the whole reply text.
        """
        start = text.find(self.call_marker)
        if start == -1:
            return text, []
        calls = []
        for name, raw in pattern.findall(text[start:]):
            arguments = _loads(raw)
            if arguments is None:
                return text, []
            calls.append(ToolCall(name, arguments))
        return (text[:start].rstrip("\n"), calls) if calls else (text, [])


class Hermes(AgentTemplate):
    """Hermes / Qwen 2.5 / Qwen 3: ``<tools>`` in the system prompt, ``<tool_call>{json}</tool_call>`` calls.

    Identical to the published Qwen 2.5 and Qwen 3 chat templates (tests render both).
    """

    name = "hermes"
    call_marker = "<tool_call>"
    CALL = re.compile(r"<tool_call>\s*(.*?)\s*</tool_call>", re.S)

    def call_prefix(self, name: str | None) -> str:
        """``<tool_call>`` and the JSON up to the function name (and its arguments when named)."""
        return '<tool_call>\n{"name": "' + (f'{name}", "arguments": ' if name else "")

    def tools_prompt(self, system: str | None, tools: Sequence[Mapping[str, Any]]) -> str:
        """The system prompt followed by the tool list in this format."""
        listed = "".join("\n" + _dumps(tool) for tool in tools)
        block = (
            "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            "You are provided with function signatures within <tools></tools> XML tags:\n"
            f"<tools>{listed}\n</tools>\n\n"
            "For each function call, return a json object with function name and arguments within "
            '<tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": '
            "<args-json-object>}\n</tool_call>"
        )
        return _join(system, block)

    def format_calls(self, calls: Sequence[ToolCall]) -> str:
        """The calls in this format."""
        return "\n".join(
            f'<tool_call>\n{{"name": "{c.name}", "arguments": {c.arguments_json}}}\n</tool_call>' for c in calls
        )

    def format_result(self, content: str, call: ToolCall | None = None, index: int = 0) -> str:
        """One result in this format."""
        return f"<tool_response>\n{content}\n</tool_response>"

    def parse_calls(self, text: str) -> tuple[str, list[ToolCall]]:
        """The calls of a reply written in this format (see :meth:`AgentTemplate.parse_calls`)."""
        start = text.find("<tool_call>")
        if start == -1:
            return text, []
        calls = []
        for body in self.CALL.findall(text[start:]):
            value = _loads(body)
            if not isinstance(value, dict) or not isinstance(value.get("name"), str):
                return text, []
            calls.append(ToolCall(value["name"], value.get("arguments", {})))
        return (text[:start].rstrip("\n"), calls) if calls else (text, [])


class ReactEn(AgentTemplate):
    r"""ReAct (Yao et al., 2023): ``Thought`` / ``Action`` / ``Action Input`` / ``Observation`` / ``Final Answer``.

    A call is ``Action: name\nAction Input: {json}``; results are ``Observation: …``
    inside the assistant turn (untrained), and generation stops at ``Observation:``.
    """

    name = "react_en"
    results = "assistant"
    stop_words = ("Observation:",)
    call_marker = "Action:"
    ACTION = re.compile(r"Action:\s*(.+?)\s*\nAction Input:\s*(.*?)\s*(?=\nObservation:|\nAction:|\nThought:|\Z)", re.S)
    HEADER = "Answer the following questions as best you can. You can use these tools:"
    FORMAT = (
        "Use this format:\n\n"
        "Question: the question to answer\n"
        "Thought: what to do next\n"
        "Action: the tool to use, one of [{names}]\n"
        "Action Input: the tool's arguments as a JSON object\n"
        "Observation: the tool's result\n"
        "... (Thought, Action, Action Input and Observation may repeat)\n"
        "Thought: I know the final answer\n"
        "Final Answer: the answer to the question\n\n"
        "Begin!"
    )

    def tools_prompt(self, system: str | None, tools: Sequence[Mapping[str, Any]]) -> str:
        """The system prompt followed by the tool list in this format."""
        names = ",".join(tool_name(t) for t in tools)
        described = "\n\n".join(_describe(t) for t in tools)
        return _join(system, f"{self.HEADER}\n\n{described}\n\n{self.FORMAT.replace('{names}', names)}")

    def format_calls(self, calls: Sequence[ToolCall]) -> str:
        """The calls in this format."""
        return "\n".join(f"Action: {c.name}\nAction Input: {c.arguments_json}" for c in calls) + "\n"

    def call_prefix(self, name: str | None) -> str:
        """``Action: `` (and the name and ``Action Input: `` when named)."""
        return "Action: " + (f"{name}\nAction Input: " if name else "")

    def format_result(self, content: str, call: ToolCall | None = None, index: int = 0) -> str:
        """One result in this format."""
        return f"Observation: {content}\n"

    def parse_calls(self, text: str) -> tuple[str, list[ToolCall]]:
        """The calls of a reply written in this format (see :meth:`AgentTemplate.parse_calls`)."""
        return self.read_calls(text, self.ACTION)


class ReactZh(ReactEn):
    """ReAct with the instructions in Chinese; the keywords (``Action:`` …) stay as in ``react_en``."""

    name = "react_zh"
    HEADER = "尽你所能回答下面的问题。你可以使用以下工具："
    FORMAT = (
        "请使用以下格式：\n\n"
        "Question: 要回答的问题\n"
        "Thought: 下一步该做什么\n"
        "Action: 要使用的工具，必须是 [{names}] 之一\n"
        "Action Input: 工具的参数，一个 JSON 对象\n"
        "Observation: 工具返回的结果\n"
        "……（Thought、Action、Action Input、Observation 可以重复多次）\n"
        "Thought: 我已经知道最终答案\n"
        "Final Answer: 问题的最终答案\n\n"
        "开始！"
    )


class ToolBench(ReactEn):
    """ToolBench (Qin et al., 2023): functions listed as JSON, calls as ``Action`` / ``Action Input``.

    Results come back in the chat template's tool turn (``results = "tool"``), not as an
    ``Observation:`` line, and the call ends the assistant turn.
    """

    name = "toolbench"
    results = "tool"
    stop_words = ()

    def tools_prompt(self, system: str | None, tools: Sequence[Mapping[str, Any]]) -> str:
        """The system prompt followed by the tool list in this format."""
        listed = _dumps([dict(tool_function(t)) for t in tools])
        block = (
            "You are an agent that solves the task step by step by calling functions. At each step, "
            "write your reasoning after 'Thought:', then the function to call after 'Action:' and its "
            "arguments as a JSON object after 'Action Input:'. The function's result follows as the "
            "next message. When you are done, answer after 'Final Answer:'.\n"
            f"Available functions:\n{listed}"
        )
        return _join(system, block)

    def format_calls(self, calls: Sequence[ToolCall]) -> str:
        """The calls in this format."""
        return "\n".join(f"Action: {c.name}\nAction Input: {c.arguments_json}" for c in calls)

    def format_result(self, content: str, call: ToolCall | None = None, index: int = 0) -> str:
        """One result in this format."""
        return content


class QwenAgent(AgentTemplate):
    """Qwen-Agent's function format: ``✿FUNCTION✿`` / ``✿ARGS✿`` / ``✿RESULT✿`` / ``✿RETURN✿``.

    Results are ``✿RESULT✿: …`` inside the assistant turn (untrained); the final reply is
    written after ``✿RETURN✿:`` by the data, as Qwen-Agent writes it.
    """

    name = "qwen"
    results = "assistant"
    stop_words = ("✿RESULT✿",)
    call_marker = "✿FUNCTION✿"
    CALL = re.compile(r"✿FUNCTION✿:\s*(.+?)\s*\n✿ARGS✿:\s*(.*?)\s*(?=\n✿RESULT✿|\n✿FUNCTION✿|\n✿RETURN✿|\Z)", re.S)

    def tools_prompt(self, system: str | None, tools: Sequence[Mapping[str, Any]]) -> str:
        """The system prompt followed by the tool list in this format."""
        described = "\n\n".join(f"### {tool_name(t)}\n\n{_describe(t)}" for t in tools)
        block = (
            f"# Tools\n\n## You have access to the following tools:\n\n{described}\n\n"
            "## To call a tool, reply in this format:\n\n"
            "✿FUNCTION✿: the tool's name\n✿ARGS✿: its arguments as a JSON object\n"
            "✿RESULT✿: the tool's result\n✿RETURN✿: your reply, based on the result"
        )
        return _join(system, block)

    def format_calls(self, calls: Sequence[ToolCall]) -> str:
        """The calls in this format."""
        return "\n".join(f"✿FUNCTION✿: {c.name}\n✿ARGS✿: {c.arguments_json}" for c in calls) + "\n"

    def format_result(self, content: str, call: ToolCall | None = None, index: int = 0) -> str:
        """One result in this format."""
        return f"✿RESULT✿: {content}\n"

    def call_prefix(self, name: str | None) -> str:
        """``✿FUNCTION✿: `` (and the name and ``✿ARGS✿: `` when named)."""
        return "✿FUNCTION✿: " + (f"{name}\n✿ARGS✿: " if name else "")

    def parse_calls(self, text: str) -> tuple[str, list[ToolCall]]:
        """The calls of a reply written in this format (see :meth:`AgentTemplate.parse_calls`)."""
        return self.read_calls(text, self.CALL)


class Llama3Json(AgentTemplate):
    """Llama 3.1 / 3.2 / 3.3 JSON tool calling, as their published chat templates write it.

    The tool list (``tojson(indent=4)``) goes before the first user message, the system header
    says ``Environment: ipython``, a call is ``{"name": …, "parameters": {…}}`` alone (one per
    turn; the message's text is not written), results come back in the ``ipython`` turn.
    """

    name = "llama3"
    call_marker = '{"name"'
    call_with_content = False
    tools_in_user = "first"
    system_header = "Environment: ipython\n"
    INSTRUCTIONS = (
        "Given the following functions, please respond with a JSON for a function call with its proper "
        "arguments that best answers the given prompt.\n\n"
        'Respond in the format {"name": function name, "parameters": dictionary of argument name and its '
        "value}.Do not use variables.\n\n"
    )

    def tools_prompt(self, system: str | None, tools: Sequence[Mapping[str, Any]]) -> str:
        """The system prompt unchanged: the tools go into the first user message."""
        return system or ""

    def user_prompt(self, content: str, tools: Sequence[Mapping[str, Any]]) -> str:
        """The instructions and each tool as indented JSON, then the user's message."""
        listed = "".join(_dumps(tool, indent=4) + "\n\n" for tool in tools)
        return self.INSTRUCTIONS + listed + content.strip()

    def format_calls(self, calls: Sequence[ToolCall]) -> str:
        """The one call as JSON (Llama 3.1+ makes one call per turn)."""
        if len(calls) != 1:
            from swift.template.errors import TemplateError

            raise TemplateError(f"Llama 3.1+ tool calling makes one call per turn; this message makes {len(calls)}")
        call = calls[0]
        return f'{{"name": "{call.name}", "parameters": {call.arguments_json}}}'

    def call_prefix(self, name: str | None) -> str:
        """The JSON up to the function name (and its parameters when named)."""
        return '{"name": "' + (f'{name}", "parameters": ' if name else "")

    def parse_calls(self, text: str) -> tuple[str, list[ToolCall]]:
        """A reply that is one JSON object with ``name`` and ``parameters`` (or ``arguments``)."""
        value = _loads(text.strip()) if text.strip().startswith("{") else None
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            return text, []
        arguments = value.get("parameters", value.get("arguments", {}))
        return "", [ToolCall(value["name"], arguments)]


class DeepSeek(AgentTemplate):
    """DeepSeek V3 / R1 tool calls, as R1's published chat template writes them.

    ``<｜tool▁calls▁begin｜>`` then, per call, ``<｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME``
    and the arguments in a json code block, then ``<｜tool▁calls▁end｜>``. The published
    template writes no tool list (DeepSeek's API adds one); neither does this format, so
    describe the tools in the system prompt or choose another ``--tools_prompt``.
    """

    name = "deepseek"
    lists_tools = False
    call_separator = ""
    call_marker = "<｜tool▁calls▁begin｜>"
    OPEN = "<｜tool▁call▁begin｜>function<｜tool▁sep｜>"
    CALL = re.compile(r"<｜tool▁call▁begin｜>function<｜tool▁sep｜>(.+?)\n```json\n(.*?)\n```<｜tool▁call▁end｜>", re.S)

    def tools_prompt(self, system: str | None, tools: Sequence[Mapping[str, Any]]) -> str:
        """The system prompt as it is: the published template writes no tool list."""
        return system or ""

    def format_calls(self, calls: Sequence[ToolCall]) -> str:
        """The calls between ``<｜tool▁calls▁begin｜>`` and ``<｜tool▁calls▁end｜>``."""
        written = "\n".join(f"{self.OPEN}{c.name}\n```json\n{c.arguments_json}\n```<｜tool▁call▁end｜>" for c in calls)
        return f"<｜tool▁calls▁begin｜>{written}<｜tool▁calls▁end｜>"

    def call_prefix(self, name: str | None) -> str:
        """The calls' opening up to the function name (and the json block when named)."""
        return "<｜tool▁calls▁begin｜>" + self.OPEN + (f"{name}\n```json\n" if name else "")

    def parse_calls(self, text: str) -> tuple[str, list[ToolCall]]:
        """The calls of a reply in DeepSeek's format."""
        return self.read_calls(text, self.CALL)


class Mistral(AgentTemplate):
    """Mistral's tool calling (V3-tekken: Mistral-Nemo, Ministral, Pixtral), as Nemo's published template writes it.

    ``[AVAILABLE_TOOLS][…][/AVAILABLE_TOOLS]`` before the last user message; an assistant
    message that calls writes only ``[TOOL_CALLS][{"name", "arguments", "id"}, …]`` and EOS;
    each result is ``[TOOL_RESULTS]{"content": …, "call_id": …}[/TOOL_RESULTS]``. Calls carry
    9-character alphanumeric ids (the published template raises on any other): a call's own
    id when it is one, else one derived from the call, its place and its content, so a result
    (matched to the calls in order) names the same id. The markers are special tokens in
    Mistral's tokenizers: ``swift deploy`` decodes with them kept when tools are offered.
    """

    name = "mistral"
    call_with_content = False
    tools_in_user = "last"
    call_separator = ""
    call_marker = "[TOOL_CALLS]"
    ID = re.compile(r"[A-Za-z0-9]{9}")

    def tools_prompt(self, system: str | None, tools: Sequence[Mapping[str, Any]]) -> str:
        """The system prompt unchanged: the tools go into the last user message."""
        return system or ""

    def before_user(self, tools: Sequence[Mapping[str, Any]]) -> str:
        """The tool list in ``[AVAILABLE_TOOLS]``, before the last user turn."""
        return f"[AVAILABLE_TOOLS][{', '.join(self._tool(t) for t in tools)}][/AVAILABLE_TOOLS]"

    @staticmethod
    def _tool(tool: Mapping[str, Any]) -> str:
        # As published: string values are quoted without JSON escaping, the rest is tojson.
        function = tool_function(tool)
        fields = (
            f'"{key}": "{value}"' if isinstance(value, str) else f'"{key}": {_dumps(value)}'
            for key, value in function.items()
            if key != "return"
        )
        return '{"type": "function", "function": {' + ", ".join(fields) + "}}"

    def call_id(self, call: ToolCall, index: int) -> str:
        """The call's id when it is 9 alphanumeric characters, else 9 hex digits derived from it."""
        if call.id and self.ID.fullmatch(call.id):
            return call.id
        import hashlib

        seed = f"{index}\x00{call.id or ''}\x00{call.name}\x00{call.arguments_json}"
        return hashlib.sha1(seed.encode()).hexdigest()[:9]

    def format_calls(self, calls: Sequence[ToolCall]) -> str:
        """``[TOOL_CALLS]`` and the calls as a JSON list."""
        written = ", ".join(
            f'{{"name": {_dumps(c.name)}, "arguments": {c.arguments_json}, "id": "{self.call_id(c, k)}"}}'
            for k, c in enumerate(calls)
        )
        return f"[TOOL_CALLS][{written}]"

    def format_result(self, content: str, call: ToolCall | None = None, index: int = 0) -> str:
        """``[TOOL_RESULTS]`` with the content as it is and the id of the call it answers."""
        call_id = self.call_id(call, index) if call is not None else ""
        return f'[TOOL_RESULTS]{{"content": {content}, "call_id": "{call_id}"}}[/TOOL_RESULTS]'

    def call_prefix(self, name: str | None) -> str:
        """``[TOOL_CALLS][{"name": "`` (and the name and ``"arguments": `` when named)."""
        return '[TOOL_CALLS][{"name": "' + (f'{name}", "arguments": ' if name else "")

    def parse_calls(self, text: str) -> tuple[str, list[ToolCall]]:
        """The JSON list (or single object) after ``[TOOL_CALLS]``."""
        start = text.find(self.call_marker)
        if start == -1:
            return text, []
        value = _loads(text[start + len(self.call_marker) :].strip())
        items = [value] if isinstance(value, dict) else value
        if not isinstance(items, list) or not items:
            return text, []
        calls = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                return text, []
            calls.append(ToolCall(item["name"], item.get("arguments", {}), item.get("id")))
        return text[:start].rstrip(), calls
