r"""The GLM families' tool formats: GLM-4 (glm-4-9b-chat) and GLM-4.5 / 4.6 (XML arguments)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from swift.template.agent import AgentTemplate, _dumps, _loads
from swift.template.conversation import ToolCall, tool_function, tool_name


class Glm4(AgentTemplate):
    r"""GLM-4 chat's tool format, as glm-4-9b-chat's published template writes it.

    The tool list is a system turn of its own — ChatGLM's preamble, ``# 可用工具`` and each
    function as indented JSON — before the row's system prompt; a call is its own assistant
    item, the function name right after ``<|assistant|>`` (where a reply has its newline) and
    the JSON arguments on the next line; results are ``<|observation|>`` turns. The published
    template takes this from GLM's own message form (a system item with ``tools``, calls as
    ``metadata`` + ``content``, ``observation`` roles); swift writes the same text from OpenAI rows.
    """

    name = "glm4"
    call_separator = "<|assistant|>"
    calls_open_reply = True
    PREAMBLE = (
        "你是一个名为 ChatGLM 的人工智能助手。你是基于智谱AI训练的语言模型 GLM-4 模型开发的，"
        "你的任务是针对用户的问题和要求提供适当的答复和支持。\n\n# 可用工具"
    )
    CALL = re.compile(r"([^\s<>]+)\n(\{.*\})\s*", re.S)

    def call_prefix(self, name: str | None) -> str:
        """The function name line when named; nothing can force an unnamed call."""
        return f"{name}\n" if name else ""

    def tools_prompt(self, system: str | None, tools: Sequence[Mapping[str, Any]]) -> str:
        """The tools' system turn, then the row's own system prompt as a second system turn."""
        # one newline before each "## name": transformers renders with trim_blocks, which eats
        # the first of the two the published template writes after its {% if %}
        described = "".join(
            f"\n## {tool_name(t)}\n\n{_dumps(dict(tool_function(t)), indent=4)}\n"
            "在调用上述函数时，请使用 Json 格式表示调用的参数。"
            for t in tools
        )
        return self.PREAMBLE + described + (f"<|system|>\n{system}" if system else "")

    def format_calls(self, calls: Sequence[ToolCall]) -> str:
        """The calls, each its own ``<|assistant|>`` item (the first's header is the turn's)."""
        return "<|assistant|>".join(f"{c.name}\n{c.arguments_json}" for c in calls)

    def parse_calls(self, text: str) -> tuple[str, list[ToolCall]]:
        r"""The calls of a reply: items ``name\n{json}``, each after ``<|assistant|>`` but the first."""
        items = text.split("<|assistant|>")
        content = ""
        if not self.CALL.fullmatch(items[0].strip("\n")):
            content, items = items[0], items[1:]
        calls = []
        for item in items:
            match = self.CALL.fullmatch(item.strip("\n"))
            arguments = _loads(match.group(2)) if match else None
            if not isinstance(arguments, dict):
                return text, []
            calls.append(ToolCall(match.group(1), arguments))
        return (content.strip("\n"), calls) if calls else (text, [])


class Glm45(AgentTemplate):
    r"""GLM-4.5 / GLM-4.6's tool format, as their published chat templates write it.

    The tool list is a system turn of its own (``# Tools`` and each tool as JSON inside
    ``<tools>``) before the row's system prompt; a call is ``<tool_call>name`` followed by one
    ``<arg_key>``/``<arg_value>`` pair per argument (strings raw, other values as JSON) and
    ``</tool_call>``, each on its own line after the reply; results come back in an
    ``<|observation|>`` turn, each inside ``<tool_response>``.
    """

    name = "glm4_5"
    call_separator = ""
    call_marker = "<tool_call>"
    CALL = re.compile(r"<tool_call>([^\n<]*)(.*?)</tool_call>", re.S)
    ARGUMENT = re.compile(r"<arg_key>(.*?)</arg_key>\s*<arg_value>(.*?)</arg_value>", re.S)

    def call_prefix(self, name: str | None) -> str:
        """``<tool_call>`` and, when named, the function name line."""
        return "<tool_call>" + (f"{name}\n" if name else "")

    def tools_prompt(self, system: str | None, tools: Sequence[Mapping[str, Any]]) -> str:
        """The tools' system turn, then the row's own system prompt as a second system turn."""
        listed = "".join(_dumps(dict(tool)) + "\n" for tool in tools)
        block = (
            "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            "You are provided with function signatures within <tools></tools> XML tags:\n"
            f"<tools>\n{listed}</tools>\n\n"
            "For each function call, output the function name and arguments within the following XML format:\n"
            "<tool_call>{function-name}\n<arg_key>{arg-key-1}</arg_key>\n<arg_value>{arg-value-1}</arg_value>\n"
            "<arg_key>{arg-key-2}</arg_key>\n<arg_value>{arg-value-2}</arg_value>\n...\n</tool_call>"
        )
        return block + (f"<|system|>\n{system}" if system else "")

    def format_calls(self, calls: Sequence[ToolCall]) -> str:
        """Each call on its own lines, after the reply (or the think block of a reply that is only calls)."""

        def argument(key: str, value: Any) -> str:
            text = value if isinstance(value, str) else _dumps(value)
            return f"<arg_key>{key}</arg_key>\n<arg_value>{text}</arg_value>\n"

        return "".join(
            f"\n<tool_call>{c.name}\n" + "".join(argument(k, v) for k, v in c.arguments.items()) + "</tool_call>"
            for c in calls
        )

    def format_result(self, content: str, call: ToolCall | None = None, index: int = 0) -> str:
        """One result in this format."""
        return f"<tool_response>\n{content}\n</tool_response>"

    def parse_calls(self, text: str) -> tuple[str, list[ToolCall]]:
        """The calls of a reply: a value that reads as JSON is that value, any other is the string."""
        start = text.find(self.call_marker)
        if start == -1:
            return text, []
        calls = []
        for name, body in self.CALL.findall(text[start:]):
            if not name.strip() or self.ARGUMENT.sub("", body).strip():
                return text, []  # a call must be its name and argument pairs only
            arguments = {}
            for key, raw in self.ARGUMENT.findall(body):
                value = _loads(raw)
                arguments[key.strip()] = raw if value is None and raw != "null" else value
            calls.append(ToolCall(name.strip(), arguments))
        return (text[:start].strip("\n"), calls) if calls else (text, [])
