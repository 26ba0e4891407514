r"""The jinja backend: the tokenizer's own chat template (``--template_backend jinja``).

``tokenizer.apply_chat_template(..., tokenize=False)`` gives the text; the loss
mask comes from rendering prefixes. For each assistant message *k*:

* ``base`` — the conversation before *k* — and ``base + generation prompt`` are
  rendered; the assistant's output starts after the part of the generation prompt
  the full text repeats (so an empty think block Qwen3 puts in the prompt stays
  untrained, and R1's ``<think>\n`` prompt still finds ``<｜Assistant｜>``);
* it ends after the first stop string (EOS, the template's stop words), so the
  separator behind an end-of-turn token stays untrained — or, failing that, where
  rendering the conversation up to *k* ends, which must then end with a stop string:
  a reply with no end token to train is refused (the model would never learn to stop).

A chat template whose earlier turns change when later ones are added (beyond
what is described above) is not prefix-stable; such rows raise ``TemplateError`` — except a
template that closes only the last reply differently (gpt-oss: ``<|return|>`` last, ``<|end|>``
before): an earlier reply is then what both renderings share, trained without its end token.

A chat template that marks each assistant output with ``{% generation %}`` blocks says itself
what is trained: the blocks (found by rendering once with their tags turned into marker
characters) are used instead of the prefixes, one per assistant message; when their count
differs, the prefixes decide.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from swift.template.conversation import Conversation, Message
from swift.template.errors import TemplateError
from swift.template.render import Segment

_GENERATION_BLOCK = re.compile(r"\{%(-?)\s*generation\s*(-?)%\}")
_END_GENERATION = re.compile(r"\{%(-?)\s*endgeneration\s*(-?)%\}")
# private-use characters marking where generation blocks open and close in a rendering
_OPEN, _CLOSE = "\ue000", "\ue001"


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _published_message(message: Message) -> dict[str, Any]:
    """A message as chat templates take it: OpenAI's ``tool_calls`` with arguments as an object."""
    item: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        item["tool_calls"] = [
            {"type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in message.tool_calls
        ]
    return item


def _first_stop(text: str, start: int, limit: int, stops: Sequence[str]) -> int | None:
    ends = [pos + len(s) for s in stops if s and (pos := text.find(s, start, limit)) != -1]
    return min(ends) if ends else None


class JinjaRenderer:
    """Renders through ``tokenizer.apply_chat_template``.

    Args:
        tokenizer: Anything with ``apply_chat_template(messages, tokenize=False, ...)``.
        stops: Strings that end an assistant turn (EOS and the template's stop words).
        kwargs: Extra template variables (``enable_thinking``, ``date_string`` …).
    """

    def __init__(self, tokenizer: Any, stops: Sequence[str], kwargs: dict[str, Any]):
        self.tokenizer, self.stops, self.kwargs = tokenizer, tuple(stops), kwargs

    def _apply(self, messages: list[dict], tools, add_generation_prompt: bool, kwargs: dict | None = None) -> str:
        if not messages:
            return ""
        kwargs = self.kwargs if kwargs is None else kwargs
        try:
            text = self.tokenizer.apply_chat_template(
                messages,
                tools=tools,
                tokenize=False,
                add_generation_prompt=add_generation_prompt,
                **kwargs,
            )
        except Exception as exc:  # jinja2 errors, raise_exception() in templates
            raise TemplateError(f"the tokenizer's chat template failed: {type(exc).__name__}: {exc}") from exc
        if not isinstance(text, str):
            raise TemplateError(f"apply_chat_template(tokenize=False) returned {type(text).__name__}, not text")
        return text

    def _generation_spans(self, messages: list[dict], tools, full: str) -> list[tuple[int, int]] | None:
        """Character spans of ``full`` inside ``{% generation %}`` blocks, or None when the template has none.

        The template is rendered once more with each block's tags turned into marker characters;
        where the markers land, with the markers removed, are the spans (no tokenization needed).
        """
        template = getattr(self.tokenizer, "chat_template", None)
        if not isinstance(template, str) or not _GENERATION_BLOCK.search(template):
            return None
        marked = _END_GENERATION.sub(r"{{\1 '" + _CLOSE + r"' \2}}", template)
        marked = _GENERATION_BLOCK.sub(r"{{\1 '" + _OPEN + r"' \2}}", marked)
        text = self._apply(messages, tools, False, {**self.kwargs, "chat_template": marked})
        spans: list[tuple[int, int]] = []
        plain: list[str] = []
        length, start = 0, None
        for piece in re.split(f"([{_OPEN}{_CLOSE}])", text):
            if piece == _OPEN and start is None:
                start = length
            elif piece == _CLOSE and start is not None:
                if length > start:
                    spans.append((start, length))
                start = None
            elif piece in (_OPEN, _CLOSE):
                return None  # nested or unbalanced blocks: let the prefixes decide
            else:
                plain.append(piece)
                length += len(piece)
        if start is not None or "".join(plain) != full:
            return None
        return spans

    def _prompt_length(self, head: list[dict], tools, tail: str, rest: str) -> int:
        """How much of ``rest`` (the text after the turns before an assistant message) is its prompt.

        The generation prompt ``tail`` if the text repeats all of it.
        """
        if rest.startswith(tail):
            return len(tail)
        if "enable_thinking" in self.kwargs:
            # Thinking off, yet the reply holds reasoning: its think block is output,
            # so the prompt is the one the template writes without the switch.
            plain = {k: v for k, v in self.kwargs.items() if k != "enable_thinking"}
            alt = self._apply(head, tools, True, plain)[len(self._apply(head, tools, False, plain)) :]
            if alt and rest.startswith(alt):
                return len(alt)
        # Partly repeated (R1's prompt opens "<think>\n" that old replies lack).
        return _common_prefix(tail, rest)

    def _closed_differently(self, full: str, upto: str, start: int, limit: int, message: dict, index: int) -> int:
        """Where an earlier reply ends when the template closes a conversation's last reply otherwise.

        gpt-oss ends the last reply with ``<|return|>`` (a stop token) and earlier ones with
        ``<|end|>`` (none): the reply is what the two renderings share — trained without an end
        token, which the conversation's last reply teaches — provided the last-reply rendering
        does end with a stop token and the shared part holds the whole reply.
        """
        end = min(_common_prefix(upto, full), limit)
        # the shared text may run into the two closings' common characters (``<|`` of <|end|>/<|return|>)
        opened = [pos for stop in self.stops if stop and start <= (pos := upto.rfind(stop)) < end]
        end = min(opened, default=end)
        closing = upto[end:]
        content = message.get("content") or ""
        if (
            end <= start
            or content.strip() not in full[start:end]
            or not any(stop and stop in closing for stop in self.stops)
        ):
            raise TemplateError(
                f"message {index}: cannot find where this assistant turn ends in the chat template's output; "
                "use a swift template (--template, --template_backend swift)"
            )
        return end

    def segments(self, conv: Conversation, *, system: str | None, add_generation_prompt: bool) -> list[Segment]:
        """Rendered text split into prompt and assistant-output segments."""
        messages = [_published_message(m) for m in conv.messages]
        offset = 0
        if system is not None:
            messages.insert(0, {"role": "system", "content": system})
            offset = 1
        tools = list(conv.tools) if conv.tools else None
        full = self._apply(messages, tools, add_generation_prompt)
        turns = [k for k, m in enumerate(messages) if m["role"] == "assistant"]
        if add_generation_prompt or not turns:
            return [Segment(full)] if full else []

        spans = self._generation_spans(messages, tools, full)
        if spans is not None and len(spans) == len(turns):
            out: list[Segment] = []
            cursor = 0
            for (start, end), k in zip(spans, turns):
                out += [Segment(full[cursor:start]), Segment(full[start:end], turn=k - offset)]
                cursor = end
            out.append(Segment(full[cursor:]))
            return [s for s in out if s.text]

        bases, starts = [], []
        for k in turns:
            base = self._apply(messages[:k], tools, False)
            prompt = self._apply(messages[:k], tools, True)
            if not (full.startswith(base) and prompt.startswith(base)):
                raise TemplateError(
                    f"message {k - offset}: the chat template is not prefix-stable (the "
                    "conversation up to it renders differently inside the whole); "
                    "use a swift template (--template, --template_backend swift)"
                )
            bases.append(len(base))
            starts.append(len(base) + self._prompt_length(messages[:k], tools, prompt[len(base) :], full[len(base) :]))

        out = []
        cursor = 0
        for n, k in enumerate(turns):
            start = starts[n]
            limit = bases[n + 1] if n + 1 < len(turns) else len(full)
            end = _first_stop(full, start, limit, self.stops)
            if end is None:
                upto = self._apply(messages[: k + 1], tools, False)
                if not full.startswith(upto) and n + 1 < len(turns):
                    end = self._closed_differently(full, upto, start, limit, messages[k], k - offset)
                    out += [Segment(full[cursor:start]), Segment(full[start:end], turn=k - offset)]
                    cursor = end
                    continue
                if not full.startswith(upto) or len(upto) > limit:
                    raise TemplateError(
                        f"message {k - offset}: cannot find where this assistant turn ends "
                        "in the chat template's output; use a swift template (--template, --template_backend swift)"
                    )
                end = len(upto)
                if not any(full[start:end].rstrip().endswith(stop) for stop in self.stops if stop):
                    # e.g. GLM-4: the reply ends where the next role token is written, by the next turn
                    raise TemplateError(
                        f"message {k - offset}: the chat template writes no end token after this reply "
                        f"(none of {', '.join(self.stops) or 'EOS'}), so the model would never learn to stop; "
                        "use a swift template (--template)"
                    )
            if start < cursor:
                raise TemplateError(f"message {k - offset}: overlapping turns in the chat template's output")
            out += [Segment(full[cursor:start]), Segment(full[start:end], turn=k - offset)]
            cursor = end
        out.append(Segment(full[cursor:]))
        return [s for s in out if s.text]
