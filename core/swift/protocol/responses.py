"""What engines answer: OpenAI-shaped chat and completion responses and stream chunks.

``to_dict()`` of each object is the JSON body (or SSE ``data:`` payload) that
OpenAI's API would send, so ``swift deploy`` serialises them as they are and the
official ``openai`` client parses them.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Literal

from swift.protocol._serial import Serializable

FinishReason = Literal["stop", "length", "tool_calls"]


def random_id(prefix: str) -> str:
    """An OpenAI-style object id, e.g. ``chatcmpl-3f2a…``."""
    return f"{prefix}-{uuid.uuid4().hex}"


def _now() -> int:
    return int(time.time())


@dataclass
class UsageInfo(Serializable):
    """Token counts of one request (all its choices)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@dataclass
class TopLogprob(Serializable):
    """One alternative token at a position.

    Attributes:
        token: The token's text.
        logprob: Its log probability.
        bytes: UTF-8 bytes of ``token`` (a token may hold part of a character).
    """

    token: str
    logprob: float
    bytes: list[int] | None = None


@dataclass
class TokenLogprob(Serializable):
    """Log probability of one generated token, with the likeliest alternatives."""

    NESTED = {"top_logprobs": (TopLogprob, True)}

    token: str
    logprob: float | None  # None only for the first token of an echoed prompt
    bytes: list[int] | None = None
    top_logprobs: list[TopLogprob] = field(default_factory=list)


@dataclass
class ChoiceLogprobs(Serializable):
    """The ``logprobs`` of a chat choice: one entry per generated token."""

    NESTED = {"content": (TokenLogprob, True)}

    content: list[TokenLogprob] = field(default_factory=list)


@dataclass
class ChatMessage(Serializable):
    """A message of the answer.

    Attributes:
        content: The text; ``None`` when the answer is only tool calls (as OpenAI sends).
        tool_calls: OpenAI ``tool_calls`` read from the answer by the template's tool
            format (``{"id", "type": "function", "function": {"name", "arguments"}}``).
    """

    OMIT_NONE = ("tool_calls",)

    role: str = "assistant"
    content: str | None = ""
    tool_calls: list[dict] | None = None


@dataclass
class ChatCompletionResponseChoice(Serializable):
    """One answer.

    Attributes:
        finish_reason: ``stop`` (end of turn or a stop word), ``length`` (max_tokens) or
            ``tool_calls`` (the answer is tool calls).
        token_ids: With ``RequestConfig.return_token_ids``: every token the engine
            sampled for this answer, in order, including the end-of-turn token that
            stopped it and the tokens of a stop string the text was cut before (as
            vLLM's ``token_ids``); absent otherwise.
        probs: From a sequence classifier (``--task_type seq_cls``): one value per label, in
            label order — softmax probabilities (single label), sigmoid ones (multi label) or
            the predicted values (regression); ``message.content`` is the predicted label.
            Absent for language models.
    """

    NESTED = {"message": (ChatMessage, False), "logprobs": (ChoiceLogprobs, False)}
    OMIT_NONE = ("token_ids", "probs")

    index: int
    message: ChatMessage
    finish_reason: FinishReason | None
    logprobs: ChoiceLogprobs | None = None
    token_ids: list[int] | None = None
    probs: list[float] | None = None


@dataclass
class ChatCompletionResponse(Serializable):
    """The answer to a chat request (``object = "chat.completion"``).

    Attributes:
        prompt_token_ids: With ``RequestConfig.return_token_ids``: the prompt exactly
            as the engine encoded it (template applied); absent otherwise.
        prompt_logprobs: With ``RequestConfig.echo``: one entry per prompt token (its
            text, log probability given the tokens before it, and the alternatives
            ``top_logprobs`` asked for); the first token's ``logprob`` is None
            (nothing comes before it).
    """

    NESTED = {
        "choices": (ChatCompletionResponseChoice, True),
        "usage": (UsageInfo, False),
        "prompt_logprobs": (TokenLogprob, True),
    }
    OMIT_NONE = ("prompt_token_ids", "prompt_logprobs")

    model: str
    choices: list[ChatCompletionResponseChoice]
    usage: UsageInfo
    id: str = field(default_factory=lambda: random_id("chatcmpl"))
    object: str = "chat.completion"
    created: int = field(default_factory=_now)
    prompt_token_ids: list[int] | None = None
    prompt_logprobs: list[TokenLogprob] | None = None


@dataclass
class DeltaMessage(Serializable):
    """The new text (or tool calls, each with its ``index``) of a choice in one stream chunk."""

    OMIT_NONE = ("tool_calls",)

    role: str | None = "assistant"
    content: str | None = ""
    tool_calls: list[dict] | None = None


@dataclass
class ChatCompletionResponseStreamChoice(Serializable):
    """One choice of a stream chunk; ``finish_reason`` is set on its last chunk.

    ``probs``: a classifier's per-label values (see :class:`ChatCompletionResponseChoice`).
    """

    NESTED = {"delta": (DeltaMessage, False), "logprobs": (ChoiceLogprobs, False)}
    OMIT_NONE = ("probs",)

    index: int
    delta: DeltaMessage
    finish_reason: FinishReason | None = None
    logprobs: ChoiceLogprobs | None = None
    probs: list[float] | None = None


@dataclass
class ChatCompletionStreamResponse(Serializable):
    """A stream chunk (``object = "chat.completion.chunk"``); usage is cumulative."""

    NESTED = {"choices": (ChatCompletionResponseStreamChoice, True), "usage": (UsageInfo, False)}

    model: str
    choices: list[ChatCompletionResponseStreamChoice]
    usage: UsageInfo | None = None
    id: str = field(default_factory=lambda: random_id("chatcmpl"))
    object: str = "chat.completion.chunk"
    created: int = field(default_factory=_now)


@dataclass
class CompletionLogprobs(Serializable):
    """Logprobs in the legacy completions format (parallel lists)."""

    tokens: list[str] = field(default_factory=list)
    token_logprobs: list[float | None] = field(default_factory=list)
    top_logprobs: list[dict[str, float] | None] = field(default_factory=list)
    text_offset: list[int] = field(default_factory=list)

    @classmethod
    def from_chat(
        cls,
        logprobs: ChoiceLogprobs | None,
        offset: int = 0,
        prompt: list[TokenLogprob] | None = None,
    ) -> CompletionLogprobs | None:
        """Convert chat logprobs; ``offset`` is where the text starts in the full answer.

        With ``prompt`` (echo), the prompt's entries come first; the first token's
        logprob and alternatives are None, as in OpenAI's answers.
        """
        if logprobs is None and prompt is None:
            return None
        result = cls()
        for entry in prompt or []:
            result.tokens.append(entry.token)
            result.token_logprobs.append(entry.logprob)
            scored = entry.logprob is not None
            result.top_logprobs.append({t.token: t.logprob for t in entry.top_logprobs} if scored else None)
            result.text_offset.append(offset)
            offset += len(entry.token)
        for entry in logprobs.content if logprobs is not None else []:
            result.tokens.append(entry.token)
            result.token_logprobs.append(entry.logprob)
            result.top_logprobs.append({t.token: t.logprob for t in entry.top_logprobs})
            result.text_offset.append(offset)
            offset += len(entry.token)
        return result


@dataclass
class CompletionResponseChoice(Serializable):
    """One answer of a ``/v1/completions`` request.

    Attributes:
        token_ids: Sampled token ids (see :class:`ChatCompletionResponseChoice`).
        prompt_token_ids: The encoded prompt of this choice (vLLM's place for it:
            one completions response may answer several prompts).
    """

    NESTED = {"logprobs": (CompletionLogprobs, False)}
    OMIT_NONE = ("token_ids", "prompt_token_ids")

    index: int
    text: str
    finish_reason: FinishReason | None
    logprobs: CompletionLogprobs | None = None
    token_ids: list[int] | None = None
    prompt_token_ids: list[int] | None = None


@dataclass
class CompletionResponse(Serializable):
    """The answer to a completions request (``object = "text_completion"``)."""

    NESTED = {"choices": (CompletionResponseChoice, True), "usage": (UsageInfo, False)}

    model: str
    choices: list[CompletionResponseChoice]
    usage: UsageInfo
    id: str = field(default_factory=lambda: random_id("cmpl"))
    object: str = "text_completion"
    created: int = field(default_factory=_now)

    @classmethod
    def from_chat(cls, response: ChatCompletionResponse, echo: str | None = None) -> CompletionResponse:
        """The same answer in the completions shape.

        Args:
            response: The engine's answer.
            echo: The prompt's text, put before each choice's text (``echo: true``);
                the prompt's logprobs (``response.prompt_logprobs``) then come first too.
        """
        prompt = response.prompt_logprobs if echo is not None else None
        choices = [
            CompletionResponseChoice(
                c.index,
                (echo or "") + c.message.content,
                c.finish_reason,
                CompletionLogprobs.from_chat(c.logprobs, prompt=prompt),
                c.token_ids,
                response.prompt_token_ids if c.token_ids is not None else None,
            )
            for c in response.choices
        ]
        return cls(
            response.model,
            choices,
            response.usage,
            response.id.replace("chatcmpl", "cmpl", 1),
            created=response.created,
        )


@dataclass
class CompletionStreamResponse(Serializable):
    """A stream chunk of a completions request (same ``object`` as the full answer)."""

    NESTED = {"choices": (CompletionResponseChoice, True), "usage": (UsageInfo, False)}

    model: str
    choices: list[CompletionResponseChoice]
    usage: UsageInfo | None = None
    id: str = field(default_factory=lambda: random_id("cmpl"))
    object: str = "text_completion"
    created: int = field(default_factory=_now)

    @classmethod
    def from_chat(cls, chunk: ChatCompletionStreamResponse) -> CompletionStreamResponse:
        """The same chunk in the completions shape."""
        choices = [
            CompletionResponseChoice(
                c.index,
                c.delta.content or "",
                c.finish_reason,
                CompletionLogprobs.from_chat(c.logprobs),
            )
            for c in chunk.choices
        ]
        return cls(
            chunk.model,
            choices,
            chunk.usage,
            chunk.id.replace("chatcmpl", "cmpl", 1),
            created=chunk.created,
        )


def response_text(response: ChatCompletionResponse, index: int = 0) -> str:
    """The text of choice ``index`` (a shortcut for scripts and tests)."""
    return response.choices[index].message.content


def join_stream(chunks: list[ChatCompletionStreamResponse], index: int = 0) -> tuple[str, str | None]:
    """Concatenated text and finish reason of choice ``index`` over stream chunks."""
    parts: list[str] = []
    finish: str | None = None
    for chunk in chunks:
        for choice in chunk.choices:
            if choice.index == index:
                parts.append(choice.delta.content or "")
                finish = choice.finish_reason or finish
    return "".join(parts), finish
