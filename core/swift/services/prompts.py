"""Prompt token ids of a request: chat messages through the template, raw prompts without it.

Shared by every engine (``pt``, ``vllm`` …), so a request is encoded exactly as training
and ``swift infer`` encode it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from swift.protocol import InferRequest, InvalidRequestError

T = TypeVar("T")

# Requests longer than this are encoded on a worker thread: tokenizing megabytes takes
# seconds, and on the event loop it would stall every other client (even /health).
OFF_LOOP_CHARS = 8192


def request_chars(request: InferRequest) -> int:
    """Characters of text in ``request`` (its prompt, or its messages' contents)."""
    if request.prompt_ids is not None:
        return len(request.prompt_ids)
    if request.prompt is not None:
        return len(request.prompt)
    return sum(len(m.get("content") or "") for m in request.messages) + len(request.system or "")


async def off_loop_if_long(request: InferRequest, build: Callable[..., T], *args: Any) -> T:
    """``build(*args)`` (which encodes ``request``): inline for a short request, on a worker thread for a long one.

    Short requests stay on the loop because a thread hop costs more than their encoding.
    """
    if request_chars(request) <= OFF_LOOP_CHARS:
        return build(*args)
    return await asyncio.get_running_loop().run_in_executor(None, build, *args)


def check_token_ids(ids: Iterable[int], vocab_size: int, what: str) -> None:
    """Refuse token ids outside the model's vocabulary (a token-id prompt, a logit_bias).

    Raises:
        InvalidRequestError: ``"{what} token ids [...] but this model's vocabulary has N tokens"``.
    """
    outside = sorted({t for t in ids if t >= vocab_size})
    if outside:
        raise InvalidRequestError(
            f"{what} token ids {outside[:5]} but this model's vocabulary has {vocab_size} tokens (0..{vocab_size - 1})"
        )


class PromptEncoder:
    """Encodes requests exactly as ``swift infer`` / training see them.

    Args:
        template: A :class:`swift.template.Template` bound to ``tokenizer``.
        tokenizer: The tokenizer.
        lock: Held around every tokenizer use (fast tokenizers are not thread-safe),
            shared with the engine's other tokenizer calls.
    """

    def __init__(self, template: Any, tokenizer: Any, lock: threading.Lock):
        self.template = template
        self.tokenizer = tokenizer
        self._lock = lock
        self._plain_template: Any = None  # for raw prompts, built on first use
        self._max_token_chars: int | None = None

    @property
    def max_token_chars(self) -> int:
        """The most characters one token stands for (the longest vocabulary entry, at least 1)."""
        if self._max_token_chars is None:
            vocab = self.tokenizer.get_vocab() if hasattr(self.tokenizer, "get_vocab") else {}
            # raw entries hold one character per byte (byte-level BPE) or per character: never fewer
            # than the text they decode to, so the bound below never refuses a prompt that fits
            self._max_token_chars = max((len(token) for token in vocab), default=0) or 1_000_000
        return self._max_token_chars

    def check_fits(self, request: InferRequest, context: int | None) -> None:
        """Refuse at once a text so long that no tokenization fits ``context`` tokens.

        Tokenizing megabytes takes seconds; a text of more than ``context × max_token_chars``
        characters cannot fit, so it is refused without tokenizing.

        Raises:
            InvalidRequestError: Naming the length and the context.
        """
        if context is None or request.prompt_ids is not None:
            return
        chars = request_chars(request)
        if chars > context * self.max_token_chars:
            raise InvalidRequestError(
                f"the prompt has {chars} characters, at least {chars // self.max_token_chars} tokens, but the model "
                f"takes at most {context}; shorten the conversation"
            )

    def encode(self, request: InferRequest) -> list[int]:
        """Token ids of ``request`` (raw ``prompt``: no chat markup).

        Raises:
            InvalidRequestError: The template cannot encode it (too long, bad roles …).
        """
        return self.encode_features(request)[0]

    def encode_features(self, request: InferRequest) -> tuple[list[int], dict[str, Any]]:
        """``(token ids, model inputs besides the ids)`` of ``request``.

        The second item holds what a vision-language template adds for the request's images
        (``pixel_values`` …; :mod:`swift.template.media`); it is empty for text.

        Raises:
            InvalidRequestError: The template cannot encode it (too long, bad roles, an image it
                cannot read, images for a text-only model …).
        """
        if request.prompt_ids is not None or request.prompt is not None:
            if request.has_media:
                raise InvalidRequestError("images, videos and audio go with chat messages, not with a raw prompt")
            if request.prompt_ids is not None:
                return list(request.prompt_ids), {}  # already tokens: the caller checks them against the vocabulary
            return self._encode_raw(request.prompt), {}
        encoded = self._encode_chat(self.template.encode_prompt, request)
        features: dict[str, Any] = {}
        ids = encoded
        if isinstance(encoded, dict):
            features = {k: v for k, v in encoded.items() if k != "input_ids"}
            ids = encoded["input_ids"]
        if request.response_prefix:
            if features:
                raise InvalidRequestError("a response prefix (tool_choice) is not combined with images yet")
            with self._lock:
                ids = list(ids) + list(self.tokenizer.encode(request.response_prefix, add_special_tokens=False))
        return [int(i) for i in ids], features

    def encode_media(self, request: InferRequest) -> tuple[list[int], list[int], dict[str, list[Any]]]:
        """``(engine ids, expanded ids, media)`` of a request with media, for an engine that expands them itself.

        See :class:`swift.contracts.services.MediaPromptEncoder`.

        Raises:
            InvalidRequestError: A raw prompt with media, a template that cannot hand media over,
                or one that cannot encode the request (an unreadable image …).
        """
        from swift.contracts import MediaPromptEncoder

        if request.prompt_ids is not None or request.prompt is not None:
            raise InvalidRequestError("images, videos and audio go with chat messages, not with a raw prompt")
        if not isinstance(self.template, MediaPromptEncoder):
            raise InvalidRequestError(
                f"template {getattr(self.template, 'name', '?')!r} reads no images, videos or audio"
            )
        if request.response_prefix:
            raise InvalidRequestError("a response prefix (tool_choice) is not combined with images yet")
        encoded = self._encode_chat(self.template.encode_prompt_media, request)
        ids = [int(i) for i in encoded["input_ids"]]
        return ids, [int(i) for i in encoded["expanded_ids"]], dict(encoded["media"])

    def _encode_chat(self, encode: Callable[..., Any], request: InferRequest) -> Any:
        """``encode(messages, system=…, tools=…, images=…)`` of a chat request, under the tokenizer lock.

        Raises:
            InvalidRequestError: The template's ``TemplateError``.
        """
        from swift.template import TemplateError

        system, messages = request.split_system()
        kwargs: dict[str, Any] = {"system": system}
        if request.tools:
            kwargs["tools"] = request.tools
        if request.has_media:
            kwargs.update(images=request.images, videos=request.videos, audios=request.audios)
        try:
            with self._lock:
                return encode(messages, **kwargs)
        except TemplateError as exc:
            raise InvalidRequestError(f"cannot encode the request: {exc}") from exc

    def _encode_raw(self, prompt: str) -> list[int]:
        from swift.template import Template, TemplateError

        with self._lock:
            if self._plain_template is None:
                # The same template with the chat markup off: BOS (if any), then the text.
                self._plain_template = Template(
                    self.template.meta,
                    self.tokenizer,
                    use_chat_template=False,
                    max_length=self.template.max_length,
                    truncation_strategy=self.template.truncation_strategy,
                )
            try:
                ids = self._plain_template.encode_prompt([{"role": "user", "content": prompt}])
            except TemplateError as exc:
                raise InvalidRequestError(f"cannot encode the prompt: {exc}") from exc
        return [int(i) for i in ids]
