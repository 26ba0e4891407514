"""``Template``: a :class:`TemplateMeta` bound to a tokenizer and the template options.

The tokenizer is duck-typed: ``encode(text, add_special_tokens=False)``,
``decode(ids, skip_special_tokens=...)``, ``bos_token``, ``eos_token`` and, for the
jinja backend, ``apply_chat_template``. Nothing here imports a tokenizer library.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from swift.kernel.errors import UsageError
from swift.template.conversation import Conversation, parse_messages, parse_row
from swift.template.errors import MaxLengthError, TemplateError
from swift.template.jinja import JinjaRenderer
from swift.template.library import GENERATION
from swift.template.loss_scale import LossScale, load_loss_scale
from swift.template.meta import TemplateMeta
from swift.template.render import Segment, Tools, generation_prefix, render_segments

IGNORE_INDEX = -100
LOSS_SCALES = ("default", "last_round", "all")
"""The strategies every install has; ``--loss_scale`` also takes the agent ones and JSON files."""
DEFAULT_AGENT_TEMPLATE = "react_en"
TRUNCATION_STRATEGIES = ("left", "right", "delete")
BACKENDS = ("swift", "jinja")


def _check_choice(option: str, value: Any, choices: Sequence[str]) -> None:
    if value not in choices:
        raise UsageError(f"--{option} {value!r} is not supported; choose one of {', '.join(choices)}")


class Template:
    """Renders and encodes conversations for one model.

    Args:
        meta: The family's layout.
        tokenizer: The model's tokenizer.
        max_length: Longest encoded row in tokens; ``None`` for no limit.
        truncation_strategy: ``left`` keeps the last ``max_length`` tokens, ``right``
            the first ones, ``delete`` raises :class:`MaxLengthError`.
        loss_scale: A strategy (:mod:`swift.template.loss_scale`): ``default`` trains every
            assistant turn, ``last_round`` only the final one, ``all`` every token
            (``swift pt``); ``react``, ``hermes`` … weigh parts of replies; or a JSON file.
        system: System prompt for rows without one (``--system``); replaces the
            template's default system.
        use_chat_template: ``False`` renders plain text with no chat markup.
        template_backend: ``swift`` (this package's layouts) or ``jinja`` (the
            tokenizer's ``apply_chat_template``).
        enable_thinking: ``False`` switches reasoning off where the family can (Qwen3).
        variables: Values for the template's extra placeholders (``date_string``).
        tools_prompt: The tool format (``agent_templates`` name) for conversations with
            tools or tool calls; ``None``: the chat template's native one, else ``react_en``.
        max_pixels: Bound of image sizes (``--max_pixels``); refused here: a text template reads
            no images (vision-language templates are factories that take it).
    """

    def __init__(
        self,
        meta: TemplateMeta,
        tokenizer: Any,
        *,
        max_length: int | None = None,
        truncation_strategy: str = "left",
        loss_scale: str | LossScale = "default",
        system: str | None = None,
        use_chat_template: bool = True,
        template_backend: str = "swift",
        enable_thinking: bool | None = None,
        variables: Mapping[str, str] | None = None,
        tools_prompt: str | None = None,
        max_pixels: int | None = None,
    ) -> None:
        if max_pixels is not None:
            raise UsageError(
                f"--max_pixels {max_pixels}: template {meta.name!r} is a text template and reads no images"
            )
        _check_choice("truncation_strategy", truncation_strategy, TRUNCATION_STRATEGIES)
        _check_choice("template_backend", template_backend, BACKENDS)
        if max_length is not None and max_length <= 0:
            raise UsageError(f"--max_length must be positive, got {max_length}")
        known = dict(meta.variables)
        unknown = sorted(set(variables or ()) - set(known))
        if unknown:
            raise UsageError(
                f"template {meta.name!r} has no variable {', '.join(unknown)}; it has: {', '.join(known) or 'none'}"
            )
        if meta.own_chat_template:
            from swift.template.loading import generation_stop_words, no_chat_template_message

            if use_chat_template and not getattr(tokenizer, "chat_template", None):
                raise UsageError(no_chat_template_message())
            template_backend = "jinja"
            extra = tuple(w for w in generation_stop_words(tokenizer) if w not in meta.stop_words)
            meta = replace(meta, stop_words=meta.stop_words + extra)
        self.meta, self.tokenizer = meta, tokenizer
        self.max_length = max_length
        self.truncation_strategy = truncation_strategy
        self.scale = load_loss_scale(loss_scale)
        self.loss_scale = self.scale.name
        self.tools_prompt = tools_prompt or None
        self._agents: dict[str, Any] = {}
        if self.tools_prompt:
            self._agent(self.tools_prompt)  # an unknown name fails now, not on the first row with tools
        self.system = system
        self.use_chat_template = use_chat_template
        self.template_backend = template_backend
        self.enable_thinking = enable_thinking
        self.layout = meta if use_chat_template else GENERATION
        self.variables = {**known, **(variables or {})}
        self._values = {
            "bos": self._token("bos_token"),
            "eos": self._token("eos_token"),
            "tools_header": "",
            **self.variables,
        }
        self._jinja = None
        if template_backend == "jinja" and use_chat_template:
            if not getattr(tokenizer, "chat_template", None):
                raise UsageError("--template_backend jinja needs a tokenizer with a chat_template; use swift")
            kwargs = dict(self.variables)
            if enable_thinking is not None:
                kwargs["enable_thinking"] = enable_thinking
            self._jinja = JinjaRenderer(tokenizer, self.stop_words, kwargs)

    def _token(self, attr: str) -> str:
        token = getattr(self.tokenizer, attr, None)
        return "" if token is None else str(token)

    @property
    def name(self) -> str:
        """The template name."""
        return self.meta.name

    @property
    def stop_words(self) -> tuple[str, ...]:
        """Strings that end generation: the template's, the chosen tool format's, then the tokenizer's EOS."""
        agent = self._agent(self.tools_prompt) if self.tools_prompt else None
        words = [*self.layout.stop_words, *(agent.stop_words if agent else ()), self._values["eos"]]
        return tuple(dict.fromkeys(w for w in words if w))

    # -- tools ---------------------------------------------------------------------
    def _agent(self, name: str) -> Any:
        if name not in self._agents:
            from swift.contracts.loaders import load_agent_template

            self._agents[name] = load_agent_template(name)
        return self._agents[name]

    @property
    def agent_template(self) -> Any:
        """The tool format conversations with tools use (``--tools_prompt``, native, or ``react_en``)."""
        return self._agent(self.tools_prompt or self.layout.agent_template or DEFAULT_AGENT_TEMPLATE)

    def _tools(self, conv: Conversation) -> Tools | None:
        if not conv.tools and not any(m.tool_calls for m in conv.messages):
            return None
        agent = self.agent_template
        return Tools(agent, native_results=agent.name == self.layout.agent_template)

    def parse_tool_calls(self, text: str) -> tuple[str, list[Any]]:
        """``(content, calls)`` of a generated reply, read with the active tool format.

        A reply with no well-formed call comes back whole, with no calls.
        """
        return self.agent_template.parse_calls(text)

    # -- rendering -----------------------------------------------------------------
    def _system(self, conv: Conversation) -> str | None:
        system = conv.system if conv.system is not None else self.system
        if system is None and self.use_chat_template:
            system = self.meta.default_system
        agent = self.agent_template if conv.tools else None
        if agent is not None and not agent.tools_in_user:
            system = agent.tools_prompt(system, conv.tools)
        return system

    def _segments(self, conv: Conversation, add_generation_prompt: bool) -> list[Segment]:
        if add_generation_prompt and conv.ends_with_assistant:
            raise TemplateError("a generation prompt needs a conversation ending with a user or tool message")
        if self._jinja is not None:
            # The tokenizer's template adds its own default system; pass only explicit ones.
            system = conv.system if conv.system is not None else self.system
            return self._jinja.segments(conv, system=system, add_generation_prompt=add_generation_prompt)
        tools = self._tools(conv)
        values = self._values
        if tools is not None and conv.tools:
            values = {**values, "tools_header": tools.agent.system_header}
            if tools.agent.tools_in_user:
                conv, tools = self._tools_in_user(conv, tools)
        return render_segments(
            self.layout,
            conv,
            system=self._system(conv),
            values=values,
            add_generation_prompt=add_generation_prompt,
            enable_thinking=self.enable_thinking,
            tools=tools,
        )

    @staticmethod
    def _tools_in_user(conv: Conversation, tools: Tools) -> tuple[Conversation, Tools]:
        agent, where = tools.agent, tools.agent.tools_in_user
        users = [i for i, m in enumerate(conv.messages) if m.role == "user"]
        if where not in ("first", "last"):
            raise TemplateError(f"tool format {agent.name!r}: tools_in_user is {where!r}; use 'first' or 'last'")
        if not users or (where == "first" and users[0] != 0):
            raise TemplateError(
                f"tool format {agent.name!r} writes the tools with the {where} user message; there is none"
            )
        i = users[0] if where == "first" else users[-1]
        messages = list(conv.messages)
        messages[i] = replace(messages[i], content=agent.user_prompt(messages[i].content, conv.tools))
        before = agent.before_user(conv.tools)
        tools = replace(tools, before_user=(i, before)) if before else tools
        return replace(conv, messages=tuple(messages)), tools

    def render(
        self,
        messages: Sequence[Mapping[str, Any]],
        add_generation_prompt: bool = False,
        *,
        system: str | None = None,
        tools: Sequence[Any] | None = None,
    ) -> str:
        """The text of a conversation, as the model sees it.

        Raises:
            TemplateError: When the messages are invalid for this template.
        """
        conv = parse_messages(messages, system=system, tools=tools)
        return "".join(s.text for s in self._segments(conv, add_generation_prompt))

    # -- encoding ------------------------------------------------------------------
    def encode(self, row: Mapping[str, Any], *, expand: Callable[[str], str] | None = None) -> dict[str, list[int]]:
        """Encode a training row into ``input_ids`` and ``labels``.

        Labels copy the ids the model must produce (per ``loss_scale``) and are
        ``-100`` elsewhere. Text is tokenized piece by piece along those bounds,
        so labels line up with tokens exactly. ``expand`` rewrites each rendered piece before it
        is tokenized (a vision template turns an image placeholder into its image tokens there,
        after the chat template has written — and trimmed — the text, as the model's processor does).

        Raises:
            TemplateError: On a malformed row, one not ending with an assistant message, or
                one with images, videos or audio (a text template reads none).
            MaxLengthError: When it is too long and ``truncation_strategy`` is ``delete``.
        """
        self._refuse_media(row)
        conv = parse_row(row)
        if not conv.ends_with_assistant:
            raise TemplateError(
                f"the conversation must end with an assistant message to train on; "
                f"the last message is a {conv.messages[-1].role} message"
            )
        segments = self._segments(conv, add_generation_prompt=False)
        input_ids: list[int] = []
        labels: list[int] = []
        weights: list[float] = []
        for text, weight in self._chunks(segments, conv):
            ids = self._encode_text(expand(text) if expand else text)
            input_ids += ids
            labels += ids if weight > 0 else [IGNORE_INDEX] * len(ids)
            weights += [weight] * len(ids)
        encoded = {"input_ids": self._truncate(input_ids), "labels": self._truncate(labels)}
        if not self.scale.binary:
            encoded["loss_scale"] = self._truncate(weights)
        return encoded

    def _refuse_media(self, row: Mapping[str, Any]) -> None:
        from swift.template.media import row_media

        if not isinstance(row, Mapping):
            return  # parse_row says what is wrong with it
        found = {column: len(items) for column, items in row_media(row).items() if items}
        if found:
            what = ", ".join(f"{n} {column}" for column, n in found.items())
            raise TemplateError(f"the row has {what}, but template {self.name!r} is for a text-only model")

    def encode_prompt(
        self,
        messages: Sequence[Mapping[str, Any]],
        system: str | None = None,
        add_generation_prompt: bool = True,
        *,
        tools: Sequence[Any] | None = None,
        images: Sequence[Any] | None = None,
        videos: Sequence[Any] | None = None,
        audios: Sequence[Any] | None = None,
        expand: Callable[[str], str] | None = None,
    ) -> list[int]:
        """Token ids of a prompt for generation (ends with the assistant prefix); ``expand`` as in :meth:`encode`.

        Raises:
            TemplateError: When the messages are invalid or end with an assistant message, or
                carry images, videos or audio (a text template reads none).
            MaxLengthError: When too long and ``truncation_strategy`` is ``delete``.
        """
        for kind, media in (("images", images), ("videos", videos), ("audios", audios)):
            if media:
                raise TemplateError(f"template {self.name!r} is for a text-only model: it reads no {kind}")
        text = self.render(messages, add_generation_prompt, system=system, tools=tools)
        return self._truncate(self._encode_text(expand(text) if expand else text))

    def _trained(self, seg: Segment, conv: Conversation) -> bool:
        if self.scale.rounds == "all":
            return True
        if seg.turn is None:
            return False
        explicit = conv.messages[seg.turn].loss
        if explicit is not None:
            return explicit
        return self.scale.rounds == "every" or seg.turn == len(conv.messages) - 1

    def _weighted(self, seg: Segment, conv: Conversation) -> list[tuple[str, float]]:
        if not self._trained(seg, conv):
            return [(seg.text, 0.0)]
        if seg.turn is None or not self.scale.has_rules:
            return [(seg.text, 1.0)]
        query = next((m.content for m in reversed(conv.messages[: seg.turn]) if m.role == "user"), "")
        return self.scale.split(seg.text, query)

    def _chunks(self, segments: list[Segment], conv: Conversation) -> list[tuple[str, float]]:
        # Fewer, longer pieces: fewer tokenizer calls and fewer artificial token boundaries.
        chunks: list[tuple[str, float]] = []
        for seg in segments:
            for text, weight in self._weighted(seg, conv):
                if chunks and chunks[-1][1] == weight:
                    chunks[-1] = (chunks[-1][0] + text, weight)
                else:
                    chunks.append((text, weight))
        return chunks

    def _encode_text(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def _truncate(self, ids: list[int]) -> list[int]:
        if self.max_length is None or len(ids) <= self.max_length:
            return ids
        if self.truncation_strategy == "delete":
            raise MaxLengthError(len(ids), self.max_length)
        return ids[-self.max_length :] if self.truncation_strategy == "left" else ids[: self.max_length]

    # -- decoding ------------------------------------------------------------------
    def decode(self, ids: Sequence[int], *, skip_special_tokens: bool = False, until_stop: bool = False) -> str:
        """Text of ``ids``; with ``until_stop`` cut before the first stop word (a reply)."""
        text = self.tokenizer.decode(list(ids), skip_special_tokens=skip_special_tokens)
        if until_stop:
            cuts = [pos for w in self.stop_words if (pos := text.find(w)) != -1]
            text = text[: min(cuts)] if cuts else text
        return text

    @property
    def generation_prefix(self) -> str:
        r"""Text the generation prompt adds after the assistant prefix (R1's ``<think>\n``)."""
        return generation_prefix(self.layout, self.enable_thinking)

    def __repr__(self) -> str:
        options = f"backend={self.template_backend!r}, loss_scale={self.loss_scale!r}"
        return f"Template({self.name!r}, {options})"
