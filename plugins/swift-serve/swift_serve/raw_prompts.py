"""Raw text prompts for ``/v1/completions``: the prompt as written, no chat template.

:class:`swift.protocol.InferRequest` carries only messages, and engines encode
them with their chat template. A completions prompt must reach the model as it
is, so a :class:`RawPromptRequest` (an ``InferRequest`` holding the text as one
user message, plus the text itself) is encoded by :func:`enable_raw_prompts`
with the engine's template switched to plain text (``use_chat_template=False``:
BOS, if the model has one, then the prompt).

This hooks the ``encode(request) -> ids`` method that swift's template-based
engines (``pt``) have. An engine without it still answers, through its chat
template, and the server says so once at start-up.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import Any

from swift.protocol import InferRequest, InvalidRequestError

logger = logging.getLogger(__name__)


@dataclass
class RawPromptRequest(InferRequest):
    """An ``InferRequest`` whose ``prompt`` is to be encoded without the chat template.

    Engines that do not know this class see a one-message conversation.
    """

    prompt: str = ""

    @classmethod
    def of(cls, prompt: str) -> RawPromptRequest:
        """The request for ``prompt``."""
        return cls(messages=[{"role": "user", "content": prompt}], prompt=prompt)


def enable_raw_prompts(engine: Any) -> bool:
    """Make ``engine`` encode :class:`RawPromptRequest` as plain text.

    Returns:
        True when the engine now does; False when it has no template-based
        ``encode`` (its completions go through the chat template).
    """
    encode = getattr(engine, "encode", None)
    template = getattr(engine, "template", None)
    tokenizer = getattr(engine, "tokenizer", None)
    if getattr(encode, "_swift_raw_prompts", False):
        return True
    if not callable(encode) or tokenizer is None or not hasattr(template, "meta"):
        logger.warning(
            "swift deploy: the %s engine cannot encode raw prompts; /v1/completions prompts "
            "go through its chat template",
            type(engine).__name__,
        )
        return False
    from swift.template import Template, TemplateError

    # A tokenizer of our own: encode runs on the server's event loop while the
    # engine's worker thread decodes, and a fast tokenizer must not serve two threads.
    plain = Template(
        template.meta,
        copy.deepcopy(tokenizer),
        use_chat_template=False,
        max_length=getattr(template, "max_length", None),
        truncation_strategy=getattr(template, "truncation_strategy", "left"),
    )

    def encode_raw_or_chat(request: InferRequest) -> list[int]:
        if not isinstance(request, RawPromptRequest):
            return encode(request)
        try:
            ids = plain.encode_prompt([{"role": "user", "content": request.prompt}])
        except TemplateError as exc:
            raise InvalidRequestError(f"cannot encode the prompt: {exc}") from exc
        return [int(i) for i in ids]

    encode_raw_or_chat._swift_raw_prompts = True  # type: ignore[attr-defined]
    engine.encode = encode_raw_or_chat
    return True
