r"""``TemplateMeta``: how a model family lays out a conversation, as plain data.

Format strings use ``{placeholders}`` that are filled at render time:

* ``{content}`` — the message text (user, assistant, tool);
* ``{system}`` — the system prompt;
* ``{bos}`` / ``{eos}`` — the bound tokenizer's ``bos_token`` / ``eos_token``
  (empty when it has none), so one meta serves every checkpoint of a family;
* ``{reasoning}`` — the thinking text (:class:`ThinkingFormat`);
* any name listed in ``variables`` (``{date_string}`` for Llama 3.1+).

Other braces (JSON examples in a tools prompt) are left as they are, and message
text is never scanned for placeholders.

Example — ChatML::

    CHATML = TemplateMeta(
        name="chatml",
        system_prefix="<|im_start|>system\n{system}<|im_end|>\n",
        user="<|im_start|>user\n{content}<|im_end|>\n",
        assistant_prefix="<|im_start|>assistant\n",
        assistant="{content}<|im_end|>",
        turn_sep="\n",
        stop_words=("<|im_end|>",),
    )
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(fmt: str, values: Mapping[str, str]) -> str:
    """Substitute known ``{name}`` placeholders of ``fmt`` in one pass.

    One pass matters: a value (a user's message) that itself contains ``{system}``
    is inserted verbatim, never expanded.
    """
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), fmt)


@dataclass(frozen=True)
class ToolFormat:
    """How tool results (``role: "tool"`` messages) are rendered.

    A run of consecutive tool messages is wrapped once in ``open`` … ``close``
    (Qwen 2.5/3 put several results in one user turn); each message is ``item``.

    Attributes:
        open: Before the first message of a run.
        item: Each tool message; ``{content}`` is its text and ``{call_id}`` the id of the
            call it answers (results answer a message's calls in order; Mistral writes it).
        close: After the last message of a run.
        json_content: Write the result JSON-encoded (``"18C"`` for the text ``18C``), as
            Llama 3.1/3.2's published template does with ``| tojson``.
    """

    open: str = ""
    item: str = "{content}"
    close: str = ""
    json_content: bool = False


@dataclass(frozen=True)
class ThinkingFormat:
    r"""Reasoning models: ``<think>…</think>`` blocks in assistant messages.

    Attributes:
        open: Opening tag of a reasoning block.
        close: Closing tag; the answer is what follows it.
        strip_history: Drop the reasoning of assistant turns before the last user
            message, as Qwen3 and DeepSeek-R1 do (the model never sees old thoughts).
        history_lstrip: Characters stripped from the front of an answer whose
            reasoning was dropped (Qwen3 strips ``"\n"``; R1 keeps them).
        last_round: Format of assistant turns after the last user message, with
            ``{reasoning}`` and ``{content}`` (Qwen3 always writes a think block,
            empty when there is no reasoning). ``None`` keeps the message as is.
        generation_prefix: Added after the assistant prefix of a generation prompt
            (R1 opens ``"<think>\n"`` for the model).
        no_thinking_prefix: Added instead when thinking is switched off
            (``enable_thinking=False``; Qwen3's empty think block).
        no_thinking_user_suffix: Appended to every user message when thinking is switched
            off, unless it already ends with it (GLM-4.5's ``/nothink``).
        every_round: Write ``last_round`` in every assistant turn — with the reasoning only
            after the last user message, an empty block before it (GLM-4.5) — instead of only
            in the final reply and replies that have reasoning (Qwen3).
        answer_sep: When set, reasoning and answer are stripped of surrounding whitespace and
            a non-empty answer is written after this separator (GLM-4.5's ``"\n"``: a reply
            that is only tool calls has no answer line).
    """

    open: str = "<think>"
    close: str = "</think>"
    strip_history: bool = True
    history_lstrip: str = ""
    last_round: str | None = None
    generation_prefix: str = ""
    no_thinking_prefix: str = ""
    no_thinking_user_suffix: str = ""
    every_round: bool = False
    answer_sep: str | None = None


@dataclass(frozen=True)
class TemplateMeta:
    r"""The layout of a chat template, without any tokenizer.

    A conversation renders as::

        prefix | system_prefix                      (system_prefix when there is a system)
        user                                        per user message
        assistant_prefix + assistant + turn_sep     per assistant message; ``assistant``
                                                    is what the model learns to write
        suffix                                      after a final assistant message (trained)
        assistant_prefix                            when a generation prompt is asked for
        end                                         otherwise

    Attributes:
        name: Template name (``--template``).
        prefix: Start of a conversation without a system prompt (``"{bos}"``).
        system_prefix: Start of a conversation with one; ``{system}`` is the prompt.
        system_in_user: For families without a system turn (Gemma, Llama-2,
            Mistral): prepended to the first user message, ``{system}`` filled.
        system_in_last_user: Prepend ``system_in_user`` to the last user message instead
            (Mistral's V3-tekken layout, as mistral-common writes it).
        default_system: System prompt used when a row and ``--system`` give none.
        user: A user message; ``{content}`` is its text.
        assistant_prefix: Opens an assistant turn; also the generation prompt.
        assistant: The trained part of an assistant turn, end-of-turn included
            (``"{content}<|im_end|>"``).
        turn_sep: Untrained text after each assistant turn (ChatML's ``"\n"``).
        suffix: Trained text after the final assistant turn only, for families
            whose end of turn is the next turn's opening token (GLM-4's ``<|user|>``).
        end: Untrained text closing a conversation without a generation prompt
            (Phi-3 ends with ``{eos}``).
        tool: How tool results render; ``None``: the family has no tool role.
        assistant_prefix_after_tool: Opens an assistant turn that follows tool results,
            also as the generation prompt after them (DeepSeek V3/R1 close the results with
            ``<｜tool▁outputs▁end｜>`` and the answer follows without a header); ``None``:
            ``assistant_prefix``.
        agent_template: The family's native tool format (an ``agent_templates`` name,
            ``hermes`` for Qwen 2.5/3): how the tool list, calls and results are written
            when ``--tools_prompt`` does not choose another; ``None``: ``react_en``.
        stop_words: Strings that end generation (the tokenizer's EOS is added).
        thinking: Reasoning-block behaviour, ``None`` for non-reasoning families.
        variables: Extra placeholders with their defaults, overridable per template
            (``(("date_string", "26 Jul 2024"),)``).
        trim: Roles whose content is stripped of surrounding whitespace, as the
            published templates that apply ``| trim`` do (Llama 3, Gemma), so a reply
            ending in ``"\n"`` renders (and trains) exactly as the model saw it.
        trim_with_system: Strip the first user message *after* the system block is
            joined to it (Llama-2's ``(system + content).strip()``), not before.
        reply_opens_after_user: The published template writes the assistant header
            right after every user turn (Phi-4), so a conversation ending with a user
            turn ends with it whether or not a generation prompt is asked for.
        own_chat_template: Render with the tokenizer's own chat template (the jinja backend,
            whatever ``--template_backend`` says) and stop also at the end tokens the
            checkpoint's ``generation_config.json`` lists; the layout fields serve only
            ``use_chat_template=False``. The ``chat_template`` template of families swift has
            no template for.
    """

    name: str = ""
    prefix: str = ""
    system_prefix: str | None = None
    system_in_user: str | None = None
    system_in_last_user: bool = False
    default_system: str | None = None
    user: str = "{content}"
    assistant_prefix: str = ""
    assistant: str = "{content}{eos}"
    turn_sep: str = ""
    suffix: str = ""
    end: str = ""
    tool: ToolFormat | None = None
    assistant_prefix_after_tool: str | None = None
    agent_template: str | None = None
    stop_words: tuple[str, ...] = ()
    thinking: ThinkingFormat | None = None
    variables: tuple[tuple[str, str], ...] = field(default=())
    trim: tuple[str, ...] = ()
    trim_with_system: bool = False
    reply_opens_after_user: bool = False
    own_chat_template: bool = False

    def __post_init__(self) -> None:
        if self.system_prefix is not None and self.system_in_user is not None:
            raise ValueError(f"template {self.name!r}: set system_prefix or system_in_user, not both")
        for name, needed in (("user", "{content}"), ("assistant", "{content}")):
            if needed not in getattr(self, name):
                raise ValueError(f"template {self.name!r}: {name} must contain {needed}")
        for name in ("system_prefix", "system_in_user"):
            value = getattr(self, name)
            if value is not None and "{system}" not in value:
                raise ValueError(f"template {self.name!r}: {name} must contain {{system}}")
        for f in fields(self):
            if isinstance(getattr(self, f.name), list):
                raise ValueError(f"template {self.name!r}: {f.name} must be a tuple, not a list")

    @property
    def supports_system(self) -> bool:
        """Whether a system prompt can be rendered at all."""
        return self.system_prefix is not None or self.system_in_user is not None
