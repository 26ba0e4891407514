"""What a client asks an engine: the conversation and how to generate.

Shaped like OpenAI's chat API so ``swift deploy`` can map request bodies one to
one, and engines (pt, vLLM …) all read the same objects.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from swift.protocol._serial import Serializable

ROLES = ("system", "user", "assistant", "tool")


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    return content if isinstance(content, str) else str(content)


@dataclass
class InferRequest(Serializable):
    """One conversation to answer.

    Attributes:
        messages: ``[{"role": "user", "content": "hi"}, ...]``; roles are system,
            user, assistant and tool. A leading system message wins over ``system``.
        tools: OpenAI-style tool definitions the template renders into the prompt.
        system: System prompt used when ``messages`` has none; None means the
            template's default system.
        prompt: Raw text to continue, encoded WITHOUT the chat template (the
            completions API); when set, ``messages`` is ignored and may be empty.
        prompt_ids: Token ids to continue, as they are (the completions API with a
            token-id prompt); when set, ``messages`` and ``prompt`` are ignored.
        response_prefix: Text the answer must start with, written after the generation
            prompt (the answer returned is its continuation); ``tool_choice`` "required"
            or a named function starts the answer with the tool format's call opening.
        images: The images of the conversation, in the order of its ``<image>`` tags
            (ms-swift's layout; :mod:`swift.template.media`). OpenAI content parts
            (``{"type": "image_url", "image_url": {"url": "data:…"}}``) become a tag in the
            text and an entry here. ``videos`` and ``audios`` likewise.

    Example::

        InferRequest(messages=[{"role": "user", "content": "Who are you?"}])
        InferRequest.completion("The capital of France is")
        InferRequest.completion([791, 6864, 315, 9822, 374])   # token ids
    """

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    system: str | None = None
    prompt: str | None = None
    prompt_ids: list[int] | None = None
    response_prefix: str | None = None
    images: list[Any] = field(default_factory=list)
    videos: list[Any] = field(default_factory=list)
    audios: list[Any] = field(default_factory=list)

    @property
    def has_media(self) -> bool:
        """Whether the request carries images, videos or audio."""
        return bool(self.images or self.videos or self.audios)

    @classmethod
    def completion(cls, prompt: str | list[int]) -> InferRequest:
        """A request to continue ``prompt`` (text, or token ids) as written (no chat template)."""
        if isinstance(prompt, list):
            return cls(messages=[], prompt_ids=prompt)
        return cls(messages=[], prompt=prompt)

    def __post_init__(self) -> None:
        if isinstance(self.tools, str):  # datasets store the tool list as JSON text
            try:
                self.tools = json.loads(self.tools) if self.tools.strip() else None
            except ValueError as exc:
                raise ValueError(f"InferRequest.tools is text but not JSON: {exc}") from None
        if self.prompt_ids is not None:
            ids = self.prompt_ids
            if not isinstance(ids, list) or not ids or not all(type(t) is int and t >= 0 for t in ids):
                raise ValueError("InferRequest.prompt_ids must be a non-empty list of token ids (ints >= 0)")
            return
        if self.prompt is not None:
            if not isinstance(self.prompt, str):
                raise ValueError("InferRequest.prompt must be a string")
            return
        if not isinstance(self.messages, list) or not self.messages:
            raise ValueError("InferRequest.messages must be a non-empty list of {role, content} dicts")
        from swift.template.errors import TemplateError
        from swift.template.media import check_counts, flatten_parts

        normalized = []
        for column in ("images", "videos", "audios"):
            value = getattr(self, column)
            if value is None:
                setattr(self, column, [])
            elif not isinstance(value, list):
                raise ValueError(f"InferRequest.{column} must be a list")
        for i, message in enumerate(self.messages):
            if not isinstance(message, dict) or "role" not in message:
                raise ValueError(f"InferRequest.messages[{i}] must be a dict with 'role' and 'content'")
            if message["role"] not in ROLES:
                raise ValueError(
                    f"InferRequest.messages[{i}] has role {message['role']!r}; expected one of {', '.join(ROLES)}"
                )
            content = message.get("content")
            if isinstance(content, list):
                try:
                    content, media = flatten_parts(content, f"InferRequest.messages[{i}]")
                except TemplateError as exc:
                    raise ValueError(str(exc)) from None
                self.images, self.videos, self.audios = (
                    [*self.images, *media["images"]],
                    [*self.videos, *media["videos"]],
                    [*self.audios, *media["audios"]],
                )
            normalized.append({**message, "content": _text_of(content)})
        self.messages = normalized
        if self.has_media:
            try:
                check_counts([m["content"] for m in normalized], vars(self))
            except TemplateError as exc:
                raise ValueError(f"InferRequest: {exc}") from None

    def split_system(self) -> tuple[str | None, list[dict[str, Any]]]:
        """The system prompt to use and the messages without it."""
        if self.messages[0]["role"] == "system":
            return self.messages[0]["content"], self.messages[1:]
        return self.system, list(self.messages)


class InvalidConfigError(ValueError):
    """A :class:`RequestConfig` value out of range; ``params`` names the fields."""

    def __init__(self, params: list[str], message: str):
        super().__init__(message)
        self.params = params


@dataclass
class RequestConfig(Serializable):
    """How to generate. ``None`` means "the engine's default" (the model's generation config).

    Attributes:
        max_tokens: Most new tokens; None = up to the model's context length.
        temperature: 0 means greedy decoding.
        top_k: Sample among the k most likely tokens.
        top_p: Nucleus sampling mass.
        repetition_penalty: > 1 discourages repeats (transformers' definition).
        presence_penalty: OpenAI's: subtracted once from the logit of every token the
            answer already holds, in [-2, 2].
        frequency_penalty: OpenAI's: subtracted from a token's logit once per time the
            answer already holds it, in [-2, 2].
        logit_bias: ``{token_id: bias}`` added to the logits at every step, each bias
            in [-100, 100] (-100 bans a token, 100 all but forces it).
        num_beams: Beam search width; 1 = no beam search.
        stop: Strings that end the answer; the answer is cut before them.
        stream: Return chunks as they are generated.
        seed: Seed of the sampling RNG for this request.
        n: Number of answers per request (choices).
        logprobs: Return the log probability of every generated token.
        top_logprobs: Also return that many most likely alternatives per token.
        echo: Also return the prompt's tokens with their log probabilities
            (``prompt_logprobs`` of the response; the first token has none) and,
            with ``top_logprobs``, the likeliest alternatives at each position;
            ``max_tokens=0`` then scores the prompt without generating.
        return_token_ids: Also return the prompt's token ids (``prompt_token_ids`` of
            the response) and each answer's sampled ids (``token_ids`` of a choice),
            so a trainer can learn on exactly the tokens that were generated.
            Non-streamed responses only; engines that cannot tell leave them unset.
        ignore_eos: Do not end at end-of-sequence or end-of-turn tokens (the tokenizer's
            EOS, the generation config's, the template's): only ``stop`` and ``max_tokens``
            end the answer (vLLM's option; fixed-length benchmarks).
        skip_special_tokens: Leave the tokenizer's special tokens out of the answer's text
            (vLLM's option). Tool formats whose markers are special tokens (Mistral's
            ``[TOOL_CALLS]``, DeepSeek's ``<｜tool▁calls▁begin｜>``) need them kept, so
            ``swift deploy`` keeps them for a request offered tools unless it says otherwise.
    """

    max_tokens: int | None = None
    temperature: float | None = None
    top_k: int | None = None
    top_p: float | None = None
    repetition_penalty: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: dict[int, float] | None = None
    num_beams: int = 1
    stop: list[str] = field(default_factory=list)
    stream: bool = False
    seed: int | None = None
    n: int = 1
    logprobs: bool = False
    top_logprobs: int | None = None
    echo: bool = False
    return_token_ids: bool = False
    ignore_eos: bool = False
    skip_special_tokens: bool = True

    def __post_init__(self) -> None:
        if self.logit_bias:
            # JSON object keys are strings; token ids are ints everywhere past this point
            try:
                self.logit_bias = {int(k): float(v) for k, v in self.logit_bias.items()}
            except (TypeError, ValueError, AttributeError):
                raise InvalidConfigError(["logit_bias"], "logit_bias must map token ids to numbers") from None
        if isinstance(self.stop, str):
            self.stop = [self.stop]
        self.stop = [s for s in (self.stop or []) if s]
        checks = (
            (
                "max_tokens",
                self.max_tokens is not None and self.max_tokens < (0 if self.echo else 1),
                ">= 0 with echo, else >= 1",
            ),
            ("temperature", self.temperature is not None and self.temperature < 0, ">= 0"),
            ("top_p", self.top_p is not None and not 0 < self.top_p <= 1, "in (0, 1]"),
            ("top_k", self.top_k is not None and self.top_k < 0, ">= 0"),
            (
                "repetition_penalty",
                self.repetition_penalty is not None and self.repetition_penalty <= 0,
                "> 0",
            ),
            ("presence_penalty", _outside(self.presence_penalty, -2.0, 2.0), "in [-2, 2]"),
            ("frequency_penalty", _outside(self.frequency_penalty, -2.0, 2.0), "in [-2, 2]"),
            ("logit_bias", not _valid_bias(self.logit_bias), "{token_id: bias in [-100, 100]}"),
            ("num_beams", self.num_beams < 1, ">= 1"),
            ("n", self.n < 1, ">= 1"),
            ("top_logprobs", self.top_logprobs is not None and self.top_logprobs < 0, ">= 0"),
        )
        floats = ("temperature", "top_p", "repetition_penalty", "presence_penalty", "frequency_penalty")
        # NaN passes every comparison above as "in range": refuse it (and ±inf) first
        infinite = [
            name for name in floats if getattr(self, name) is not None and not math.isfinite(getattr(self, name))
        ]
        bad = [(name, f"{name} must be a finite number, got {getattr(self, name)}") for name in infinite]
        bad += [
            (name, f"{name} must be {rule}, got {getattr(self, name)}")
            for name, failed, rule in checks
            if failed and name not in infinite
        ]
        if bad:
            raise InvalidConfigError(
                [name for name, _ in bad], "invalid request config: " + "; ".join(m for _, m in bad)
            )

    def with_defaults(self, defaults: RequestConfig | None) -> RequestConfig:
        """A copy whose unset fields (None, empty stop) come from ``defaults``.

        ``swift deploy`` uses it to let command-line generation flags fill what a
        client left out, as ms-swift does.
        """
        if defaults is None:
            return dataclasses.replace(self)
        values = {}
        for f in dataclasses.fields(self):
            mine = getattr(self, f.name)
            values[f.name] = getattr(defaults, f.name) if mine is None or mine == [] else mine
        return RequestConfig(**values)


def _outside(value: float | None, low: float, high: float) -> bool:
    return value is not None and not low <= value <= high


def _valid_bias(bias: dict[int, float] | None) -> bool:
    return bias is None or all(k >= 0 and -100.0 <= v <= 100.0 for k, v in bias.items())


_ARG_TO_CONFIG = {
    "max_new_tokens": "max_tokens",
    "temperature": "temperature",
    "top_k": "top_k",
    "top_p": "top_p",
    "repetition_penalty": "repetition_penalty",
    "num_beams": "num_beams",
    "stop_words": "stop",
    "stream": "stream",
    "logprobs": "logprobs",
    "top_logprobs": "top_logprobs",
}


def request_config_from_args(args: Any, **overrides: Any) -> RequestConfig:
    """The :class:`RequestConfig` the generation flags of ``args`` describe.

    Args:
        args: Any object with the generation flags (``InferArguments`` …);
            missing attributes keep the config default.
        **overrides: Fields set on top (``stream=False``).
    """
    values: dict[str, Any] = {}
    for arg_name, config_name in _ARG_TO_CONFIG.items():
        value = getattr(args, arg_name, None)
        if value is not None:
            values[config_name] = list(value) if config_name == "stop" else value
    values.update(overrides)
    return RequestConfig(**values)
