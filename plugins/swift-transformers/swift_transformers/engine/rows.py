"""One generated sequence followed token by token: stop rules, text, logprobs, stream deltas.

``generate`` hands us one token per row per step; a :class:`Row` decides when its
answer is over (end-of-turn token, a stop string, its own ``max_tokens``), keeps
the text incrementally decoded so a stream never shows half a UTF-8 character
or half a stop string, and collects logprobs in OpenAI's shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from swift.protocol import TokenLogprob, find_stop, stop_holdback

Decode = Callable[[Sequence[int]], str]
REPLACEMENT = "\ufffd"


class Row:
    """The state of one answer (one choice of one request).

    Args:
        index: Choice index in the response.
        limit: Most tokens this answer may have.
        end_ids: Token ids that end the answer (eos, single-token stop words);
            they count as generated but are not part of the text.
        stops: Stop strings; the text is cut before the earliest one.
        decode: ``ids -> text`` without special tokens.
        track_text: Decode as tokens arrive (needed to stream or to find stop strings).
        logprobs: Whether the client asked for logprobs.
        top_logprobs: Alternatives per token the client asked for.

    Attributes:
        slot: Position of the row in the batch (set by the batch runner).
        sent_final: A stream sent this row's last chunk.
    """

    def __init__(
        self,
        index: int,
        limit: int,
        end_ids: frozenset[int],
        stops: Sequence[str],
        decode: Decode,
        *,
        track_text: bool,
        logprobs: bool = False,
        top_logprobs: int = 0,
    ):
        self.index = index
        self.limit = limit
        self.end_ids = end_ids
        self.stops = tuple(stops)
        self._decode = decode
        self._track_text = track_text or bool(self.stops)
        self._longest_stop = max((len(s) for s in self.stops), default=0)
        self.tokens: list[int] = []
        self.logprobs: list[TokenLogprob] = []
        self.finish_reason: str | None = None
        self.text = ""
        self._prefix_offset = 0
        self._read_offset = 0
        self._emitted = ""
        self._logprobs_sent = 0
        self.want_logprobs = logprobs
        self.top_logprobs = top_logprobs if logprobs else 0
        self.slot = -1
        self.sent_final = False

    @property
    def done(self) -> bool:
        """Whether the row has finished (a stop, EOS or its token budget)."""
        return self.finish_reason is not None

    def step(self, token: int, logprob: TokenLogprob | None = None) -> None:
        """Take the next generated token (ignored once the answer is over)."""
        if self.done:
            return
        self.tokens.append(token)
        if logprob is not None:
            self.logprobs.append(logprob)
        if token in self.end_ids:
            self.finish_reason = "stop"
            return
        if self._track_text:
            before = len(self.text)
            self._advance_text()
            if self.stops and find_stop(self.text, self.stops, before - self._longest_stop + 1) is not None:
                self.finish_reason = "stop"
                return
        if len(self.tokens) >= self.limit:
            self.finish_reason = "length"

    def stop(self, reason: str = "length") -> None:
        """End the answer from outside (generation ended, or the client went away)."""
        if not self.done:
            self.finish_reason = reason

    def _advance_text(self) -> None:
        # Decode a window that starts a little before the new tokens: tokenizers that
        # merge spaces or bytes across tokens then give the same text as a full decode.
        prefix = self._decode(self.tokens[self._prefix_offset : self._read_offset])
        full = self._decode(self.tokens[self._prefix_offset :])
        if len(full) > len(prefix) and not full.endswith(REPLACEMENT):
            self.text += full[len(prefix) :]
            self._prefix_offset = self._read_offset
            self._read_offset = len(self.tokens)

    def final_text(self) -> str:
        """The answer: all tokens decoded (end token excluded), cut before a stop string."""
        tokens = self.tokens
        if tokens and tokens[-1] in self.end_ids:
            tokens = tokens[:-1]
        text = self._decode(tokens)
        at = find_stop(text, self.stops)
        return text if at is None else text[:at]

    def take_delta(self) -> tuple[str, list[TokenLogprob]]:
        """Text and logprobs not yet streamed; after the end, everything left.

        Before the end, text that may still become a stop string, or that ends in
        an incomplete character, is held back.
        """
        if self.done:
            final = self.final_text()
            delta = final[len(self._emitted) :] if final.startswith(self._emitted) else ""
            self._emitted = final
        else:
            safe = self.text[: len(self.text) - stop_holdback(self.text, self.stops)]
            delta = safe[len(self._emitted) :]
            self._emitted = safe if len(safe) > len(self._emitted) else self._emitted
        logprobs = self.logprobs[self._logprobs_sent :]
        self._logprobs_sent = len(self.logprobs)
        return delta, logprobs
