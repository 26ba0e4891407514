"""``swift template check``: does swift's template give the tokens the model's own chat template gives?

The chat template a model was trained with lives in its tokenizer files (Jinja); swift
trains and serves with its own template code. This renders a fixed set of conversations
through both — answered ones as training sees them, open ones as a prompt — and compares
the token ids. Differences a template makes on purpose (documented in docs/templates.md)
are reported as such and do not fail the check.

Pure Python: the tokenizer is passed in; nothing here imports torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SYSTEM = "You are a careful assistant."
Q1, A1 = "What is two plus three?", "Two plus three is five."
Q2, A2 = "And four plus five?", "Nine."


def _conversation(*, system: bool, turns: int, answered: bool, padded: bool = False) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": SYSTEM}] if system else []
    for question, answer in [(Q1, A1), (Q2, A2)][:turns]:
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    messages = messages if answered else messages[:-1]
    if padded:  # real data: a reply ending in a newline, a pasted prompt with a leading space
        messages = [{**m, "content": f" {m['content']}\n"} for m in messages]
    return messages


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
_TOOL_TURNS = [
    {"role": "user", "content": "What is the weather in Paris?"},
    {
        "role": "assistant",
        "content": "",
        # a 9-character id: Mistral's templates refuse calls without one, the others ignore it
        "tool_calls": [
            {"id": "a1b2c3d4e", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
        ],
    },
    {"role": "tool", "tool_call_id": "a1b2c3d4e", "content": '{"temp": "18C"}'},
    {"role": "assistant", "content": "It is 18C in Paris."},
]
# conversations rendered with this tool list
TOOLS = {"tools": [WEATHER_TOOL], "tools-prompt": [WEATHER_TOOL]}

# name → conversation; those ending with a user or tool turn are checked as generation prompts
CONVERSATIONS: dict[str, list[dict[str, Any]]] = {
    "plain": _conversation(system=False, turns=1, answered=True),
    "system": _conversation(system=True, turns=1, answered=True),
    "multi-turn": _conversation(system=False, turns=2, answered=True),
    "multi-turn+system": _conversation(system=True, turns=2, answered=True),
    "padded": _conversation(system=True, turns=2, answered=True, padded=True),
    "prompt": _conversation(system=False, turns=1, answered=False),
    "prompt+system": _conversation(system=True, turns=2, answered=False),
    "thinking": [
        {"role": "user", "content": Q1},
        {"role": "assistant", "content": "<think>\n2 + 3 = 5\n</think>\n\n" + A1},
    ],
    "tools": _TOOL_TURNS,
    "tools-prompt": _TOOL_TURNS[:-1],
}


@dataclass
class CheckResult:
    """One conversation checked.

    Attributes:
        name: The conversation (``plain``, ``prompt+system`` …).
        part: ``trained`` (an answered conversation, as training encodes it) or ``prompt``.
        expected: Token ids of the model's own chat template.
        actual: Token ids of swift's template.
        deliberate: Why swift differs on purpose, when it does (then the check passes).
        error: Why the model's template could not render the conversation (then it is skipped).
        refused: Why swift's template refused a conversation the model's renders (a difference).
    """

    name: str
    part: str
    expected: list[int]
    actual: list[int]
    deliberate: str = ""
    error: str = ""
    refused: str = ""

    @property
    def equal(self) -> bool:
        """Whether the ids are the same."""
        return not self.refused and self.expected == self.actual

    @property
    def ok(self) -> bool:
        """Whether the check passes: equal, a documented difference, or not renderable by the model's template."""
        return not self.refused and (self.equal or bool(self.deliberate) or bool(self.error))

    def diff(self, tokenizer: Any, context: int = 3) -> str:
        """The first differing token and a few around it, as token strings."""
        at = next(
            (i for i, (a, b) in enumerate(zip(self.expected, self.actual)) if a != b),
            min(len(self.expected), len(self.actual)),
        )
        start = max(0, at - context)

        def show(ids: list[int]) -> str:
            tokens = tokenizer.convert_ids_to_tokens(ids[start : at + context + 1])
            return " ".join(repr(t) for t in tokens) or "(end)"

        return (
            f"first difference at token {at} (model: {len(self.expected)} tokens, swift: {len(self.actual)})\n"
            f"      model's template: {show(self.expected)}\n"
            f"      swift's template: {show(self.actual)}"
        )


def check_template(template: Any, tokenizer: Any) -> list[CheckResult]:
    """Compare ``template`` (a bound :class:`swift.template.Template`) with ``tokenizer.chat_template``.

    Raises:
        ValueError: When the tokenizer has no chat template.
    """
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError("the tokenizer has no chat_template: there is no published template to check against")
    return [
        check_conversation(template, tokenizer, name, messages, TOOLS.get(name))
        for name, messages in CONVERSATIONS.items()
    ]


def _published(tokenizer: Any, messages: list[dict[str, Any]], tools: Any, prompt: bool) -> str:
    return tokenizer.apply_chat_template(messages, tools=tools, tokenize=False, add_generation_prompt=prompt)


def check_conversation(
    template: Any, tokenizer: Any, name: str, messages: list[dict[str, Any]], tools: Any = None
) -> CheckResult:
    """One conversation through the model's chat template and ``template`` (a prompt unless it ends with a reply)."""
    prompt = messages[-1]["role"] != "assistant"
    part = "prompt" if prompt else "trained"
    try:
        text = _published(tokenizer, messages, tools, prompt)
        if tools and text == _published(tokenizer, messages, None, prompt):
            # the model's template ignores the tool list: it has no tool format to compare with
            return CheckResult(name, part, [], [], error="the model's template has no tool format")
    except Exception as exc:  # noqa: BLE001 - a template that refuses (e.g. a system turn) is reported
        return CheckResult(name, part, [], [], error=f"the model's template refuses it: {exc}")
    expected = list(tokenizer.encode(text, add_special_tokens=False))
    try:
        if prompt:
            actual = list(template.encode_prompt(messages, tools=tools))
        else:
            actual = list(template.encode({"messages": messages, "tools": tools})["input_ids"])
    except Exception as exc:  # noqa: BLE001 - swift refusing what the model's template renders is a difference
        return CheckResult(name, part, expected, [], refused=f"{type(exc).__name__}: {exc}")
    result = CheckResult(name, part, expected, actual)
    if not result.equal and not prompt:
        result.deliberate = _deliberate(template, tokenizer, messages, tools, expected, actual)
    return result


def _deliberate(
    template: Any, tokenizer: Any, messages: list[dict[str, Any]], tools: Any, expected: list[int], actual: list[int]
) -> str:
    meta = template.meta
    # a trained suffix after the final reply (GLM-4's <|user|>) is swift's on purpose
    suffix = getattr(meta, "suffix", "")
    if suffix and actual[: len(expected)] == expected and tokenizer.decode(actual[len(expected) :]) == suffix:
        return (
            f"swift trains {suffix!r} after the final reply: the family ends a turn with the next role "
            "token and writes no end of turn, so the model learns to stop (docs/templates.md)"
        )
    # Mistral V3-tekken: the system prompt with the last user message, which Nemo's Jinja drops
    if getattr(meta, "system_in_last_user", False) and messages[0]["role"] == "system":
        last = max(i for i, m in enumerate(messages) if m["role"] == "user")
        joined = [dict(m) for m in messages[1:]]
        joined[last - 1]["content"] = messages[0]["content"] + "\n\n" + messages[last]["content"]
        moved = tokenizer.encode(_published(tokenizer, joined, tools, False), add_special_tokens=False)
        if list(moved) == actual:
            return (
                "swift writes the system prompt with the last user message, as mistral-common does; the "
                "model's template writes it only when the conversation ends with a user turn (docs/templates.md)"
            )
    return ""


def report(results: list[CheckResult], tokenizer: Any, template_name: str) -> str:
    """The text ``swift template check`` prints."""
    lines = [f"template {template_name!r} against the model's own chat template:"]
    for r in results:
        if r.error:
            status = f"skipped ({r.error})"
        elif r.refused:
            status = f"DIFFERENT: swift's template refuses it: {r.refused}"
        elif r.equal:
            status = f"same ({len(r.actual)} tokens)"
        elif r.deliberate:
            status = f"differs on purpose: {r.deliberate}"
        else:
            status = "DIFFERENT\n    " + r.diff(tokenizer)
        lines.append(f"  {r.name:<18} {r.part:<8} {status}")
    failed = [r for r in results if not r.ok]
    lines.append(
        f"{len(failed)} of {len(results)} conversations differ"
        + (": what swift trains on is not what this model's template renders" if failed else "")
    )
    return "\n".join(lines)


def _as_published(row: dict[str, Any]) -> tuple[list[dict[str, Any]], Any]:
    """A dataset row's messages and tools as chat templates take them (tool JSON text decoded)."""
    messages = []
    for message in row["messages"]:
        message = {k: v for k, v in message.items() if not (k == "tool_calls" and v is None)}
        if isinstance(message.get("tool_calls"), str):
            message["tool_calls"] = json.loads(message["tool_calls"])
        messages.append(message)
    tools = row.get("tools")
    return messages, json.loads(tools) if isinstance(tools, str) else tools


def check_rows(template: Any, tokenizer: Any, rows: Any, limit: int = 3) -> list[CheckResult]:
    """The first ``limit`` rows of a training set checked like :func:`check_template` checks its conversations.

    Rows the template itself rejects are left out (encoding reports them).
    """
    results = []
    for i, row in enumerate(rows):
        if i >= limit:
            break
        try:
            messages, tools = _as_published(row)
        except (KeyError, TypeError, ValueError):
            continue
        result = check_conversation(template, tokenizer, f"row {i + 1}", messages, tools)
        if not result.refused:
            results.append(result)
    return results


def drift_warning(results: list[CheckResult], tokenizer: Any, template_name: str, model: str) -> str | None:
    """The warning ``swift sft`` prints when a first row encodes differently, or ``None``."""
    failed = [r for r in results if not r.ok]
    if not failed:
        return None
    first = failed[0]
    return (
        f"{first.name} of the training data encodes differently with template {template_name!r} than with the "
        f"model's own chat template ({len(failed)} of the first {len(results)} rows): "
        + first.diff(tokenizer).replace("\n      ", "; ")
        + f". Compare them with: swift template check --model {model} --template {template_name}"
    )
