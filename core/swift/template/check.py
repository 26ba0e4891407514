"""``swift template check``: does swift's template give the tokens the model's own chat template gives?

The chat template a model was trained with lives in its tokenizer files (Jinja); swift
trains and serves with its own template code. This renders a fixed set of conversations
through both — answered ones as training sees them, open ones as a prompt — and compares
the token ids. Differences a template makes on purpose (documented in docs/templates.md)
are reported as such and do not fail the check.

Pure Python: the tokenizer is passed in; nothing here imports torch.
"""

from __future__ import annotations

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


# name → conversation; those ending with a user turn are checked as generation prompts
CONVERSATIONS: dict[str, list[dict[str, str]]] = {
    "plain": _conversation(system=False, turns=1, answered=True),
    "system": _conversation(system=True, turns=1, answered=True),
    "multi-turn": _conversation(system=False, turns=2, answered=True),
    "multi-turn+system": _conversation(system=True, turns=2, answered=True),
    "padded": _conversation(system=True, turns=2, answered=True, padded=True),
    "prompt": _conversation(system=False, turns=1, answered=False),
    "prompt+system": _conversation(system=True, turns=2, answered=False),
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
        error: Why one side could not render the conversation (then it is skipped).
    """

    name: str
    part: str
    expected: list[int]
    actual: list[int]
    deliberate: str = ""
    error: str = ""

    @property
    def equal(self) -> bool:
        """Whether the ids are the same."""
        return self.expected == self.actual

    @property
    def ok(self) -> bool:
        """Whether the check passes: equal, a documented difference, or not renderable by the model's template."""
        return self.equal or bool(self.deliberate) or bool(self.error)

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
    results = []
    for name, messages in CONVERSATIONS.items():
        prompt = messages[-1]["role"] == "user"
        part = "prompt" if prompt else "trained"
        try:
            text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=prompt)
        except Exception as exc:  # noqa: BLE001 - a template that refuses (e.g. a system turn) is reported
            results.append(CheckResult(name, part, [], [], error=f"the model's template refuses it: {exc}"))
            continue
        expected = list(tokenizer.encode(text, add_special_tokens=False))
        if prompt:
            actual = list(template.encode_prompt(messages))
        else:
            actual = list(template.encode({"messages": messages})["input_ids"])
        result = CheckResult(name, part, expected, actual)
        if not result.equal and not prompt:
            result.deliberate = _deliberate(template, tokenizer, expected, actual)
        results.append(result)
    return results


def _deliberate(template: Any, tokenizer: Any, expected: list[int], actual: list[int]) -> str:
    # a trained suffix after the final reply (GLM-4's <|user|>) is swift's on purpose
    suffix = getattr(template.meta, "suffix", "")
    if suffix and actual[: len(expected)] == expected and tokenizer.decode(actual[len(expected) :]) == suffix:
        return (
            f"swift trains {suffix!r} after the final reply: the family ends a turn with the next role "
            "token and writes no end of turn, so the model learns to stop (docs/templates.md)"
        )
    return ""


def report(results: list[CheckResult], tokenizer: Any, template_name: str) -> str:
    """The text ``swift template check`` prints."""
    lines = [f"template {template_name!r} against the model's own chat template:"]
    for r in results:
        if r.error:
            status = f"skipped ({r.error})"
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
