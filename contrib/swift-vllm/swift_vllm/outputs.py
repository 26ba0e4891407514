"""vLLM ``RequestOutput`` objects → the responses and stream chunks of :mod:`swift.protocol`.

vLLM already cuts stop strings, holds back a tail that may become one while
streaming, and decodes incrementally without half characters; what is left here is
the OpenAI shape: choices, finish reasons, usage and logprobs. The final text of an
answer is the ``pt`` engine's: all its tokens decoded at once (end token excluded),
cut before the earliest stop string — vLLM's incremental text drops the undecodable
bytes an answer cut by ``max_tokens`` may end with, where a full decode shows them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from swift.protocol import (
    ChatCompletionResponse,
    ChatCompletionResponseChoice,
    ChatCompletionResponseStreamChoice,
    ChatCompletionStreamResponse,
    ChatMessage,
    ChoiceLogprobs,
    DeltaMessage,
    TokenLogprob,
    TopLogprob,
    UsageInfo,
    find_stop,
)


def finish_reason(reason: str | None) -> str | None:
    """OpenAI's reason: ``length`` when max_tokens cut the answer, else ``stop``."""
    if reason is None:
        return None
    return "length" if reason == "length" else "stop"


def token_logprobs(
    entries: Sequence[Mapping[int, Any]] | None,
    token_ids: Sequence[int],
    top: int,
    token_text: Callable[[int], str],
) -> list[TokenLogprob]:
    """One :class:`TokenLogprob` per generated token, with ``top`` alternatives each.

    ``entries`` are vLLM's per-position dicts ``{token_id: Logprob(logprob, rank, …)}``
    holding the sampled token and the ``top`` most likely ones. Token texts come from
    ``token_text`` (as the ``pt`` engine writes them: a token holding part of a
    character shows the replacement character, where vLLM shows nothing).
    """
    result: list[TokenLogprob] = []
    for token_id, entry in zip(token_ids, entries or ()):
        chosen = entry.get(token_id)
        if chosen is None:  # never expected: vLLM always includes the sampled token
            continue
        ranked = sorted(
            (item for item in entry.items() if item[1].rank is not None and item[1].rank <= top),
            key=lambda item: item[1].rank,
        )
        alternatives = []
        for alt_id, alt in ranked[:top]:
            if not math.isinf(alt.logprob):  # -inf (a banned token) is not valid JSON
                text = token_text(alt_id)
                alternatives.append(TopLogprob(text, alt.logprob, list(text.encode("utf-8"))))
        text = token_text(token_id)
        result.append(TokenLogprob(text, chosen.logprob, list(text.encode("utf-8")), alternatives))
    return result


class ResponseBuilder:
    """Turns the outputs of one vLLM request into protocol objects.

    Args:
        model: Name reported in responses (the adapter's, else the model's).
        request_id: The response id (``chatcmpl-…``), shared by every chunk.
        prompt_tokens: Length of the prompt.
        logprobs: Whether the client asked for logprobs.
        top_logprobs: Alternatives per token the client asked for.
        prompt_ids: The prompt's ids, returned with the answer's ids when given
            (``RequestConfig.return_token_ids``).
        decode: ``ids -> text`` without special tokens (the engine's tokenizer).
        token_text: ``id -> text`` of one token, special tokens kept (for logprobs).
        stops: Stop strings; the final text is cut before the earliest.
        end_ids: Token ids that end an answer without being part of its text.
        echo: The prompt's ids when the client asked for ``echo``: the response
            carries their logprobs (vLLM's ``prompt_logprobs``).
        score_only: ``max_tokens`` 0: vLLM generated one token that is dropped.
    """

    def __init__(
        self,
        model: str,
        request_id: str,
        prompt_tokens: int,
        logprobs: bool,
        top_logprobs: int,
        prompt_ids: list[int] | None = None,
        *,
        decode: Callable[[Sequence[int]], str],
        token_text: Callable[[int], str],
        stops: Sequence[str] = (),
        end_ids: frozenset[int] = frozenset(),
        echo: list[int] | None = None,
        score_only: bool = False,
    ) -> None:
        self.model = model
        self.echo = echo
        self.score_only = score_only
        self.request_id = request_id
        self.prompt_tokens = prompt_tokens
        self.prompt_ids = prompt_ids
        self.logprobs = logprobs
        self.top = top_logprobs if logprobs else 0
        self.completion_tokens = 0
        self._decode = decode
        self._token_text = token_text
        self._stops = tuple(stops)
        self._end_ids = end_ids
        self._sent: dict[int, str] = {}  # stream: text sent per choice
        self._ids: dict[int, list[int]] = {}  # stream: token ids per choice

    def final_text(self, token_ids: Sequence[int]) -> str:
        """The answer's text as the ``pt`` engine gives it."""
        ids = list(token_ids)
        if ids and ids[-1] in self._end_ids:
            ids.pop()
        text = self._decode(ids)
        at = find_stop(text, self._stops)
        return text if at is None else text[:at]

    def _usage(self) -> UsageInfo:
        total = self.prompt_tokens + self.completion_tokens
        return UsageInfo(self.prompt_tokens, self.completion_tokens, total)

    def _logprobs(self, output: Any) -> ChoiceLogprobs | None:
        if not self.logprobs:
            return None
        return ChoiceLogprobs(token_logprobs(output.logprobs, output.token_ids, self.top, self._token_text))

    def response(self, final: Any) -> ChatCompletionResponse:
        """The answer from the final (cumulative) ``RequestOutput``."""
        outputs = sorted(final.outputs, key=lambda o: o.index)
        self.completion_tokens = 0 if self.score_only else sum(len(o.token_ids) for o in outputs)
        choices = []
        for o in outputs:
            if self.score_only:
                choices.append(ChatCompletionResponseChoice(o.index, ChatMessage(content=""), "length", None))
                continue
            choice = ChatCompletionResponseChoice(
                o.index,
                ChatMessage(content=self.final_text(o.token_ids)),
                finish_reason(o.finish_reason) or "stop",
                self._logprobs(o),
            )
            if self.prompt_ids is not None:
                choice.token_ids = list(o.token_ids)
            choices.append(choice)
        response = ChatCompletionResponse(self.model, choices, self._usage(), id=self.request_id)
        if self.prompt_ids is not None:
            response.prompt_token_ids = list(self.prompt_ids)
        if self.echo is not None:
            response.prompt_logprobs = self._prompt_logprobs(final.prompt_logprobs)
        return response

    def _prompt_logprobs(self, entries: Sequence[Mapping[int, Any] | None] | None) -> list[TokenLogprob]:
        # vLLM's first entry is None (nothing precedes the first token), as in the protocol
        first = self._token_text(self.echo[0])
        rest = token_logprobs(list(entries or [])[1:], self.echo[1:], self.top, self._token_text)
        return [TokenLogprob(first, None, list(first.encode("utf-8")), []), *rest]

    def chunk(self, delta: Any) -> ChatCompletionStreamResponse | None:
        """The stream chunk of a delta ``RequestOutput``; None when it carries nothing."""
        choices = []
        for output in delta.outputs:
            self.completion_tokens += len(output.token_ids)
            ids = self._ids.setdefault(output.index, [])
            ids.extend(output.token_ids)
            sent = self._sent.get(output.index, "")
            text = output.text
            reason = finish_reason(output.finish_reason)
            if reason is not None:  # the last chunk completes the text to the final one
                final = self.final_text(ids)
                text = final[len(sent) :] if final.startswith(sent) else text
            self._sent[output.index] = sent + text
            logprobs = self._logprobs(output)
            if text or reason or (logprobs and logprobs.content):
                choices.append(
                    ChatCompletionResponseStreamChoice(output.index, DeltaMessage(content=text), reason, logprobs)
                )
        if not choices:
            return None
        return ChatCompletionStreamResponse(self.model, choices, self._usage(), id=self.request_id)
