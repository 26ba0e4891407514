"""Contracts of the shared services: loaded models, encoders (bound templates), quantizers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

from swift.kernel.records import ModelRecord


class LoadedModel(NamedTuple):
    """What ``swift.services.load_model`` returns: the model, its tokenizer, its model type."""

    model: Any
    tokenizer: Any
    record: ModelRecord


@runtime_checkable
class Encoder(Protocol):
    """A chat template bound to a tokenizer (``swift.template.Template`` is the implementation).

    Training, inference and serving encode through this one object, so what a model
    was trained on is what it is served with.
    """

    @property
    def stop_words(self) -> tuple[str, ...]:
        """Strings that end a reply (the template's suffix, EOS …)."""
        ...

    def encode(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """``{"input_ids", "labels"}`` of a training row; labels are -100 outside trained turns.

        A vision-language template adds the model's media inputs (``pixel_values``,
        ``image_grid_thw``, ``mm_token_type_ids`` …) for the row's ``images``.
        """
        ...

    def encode_prompt(self, messages: Sequence[Mapping[str, Any]], **kwargs: Any) -> Any:
        """Token ids of a conversation to answer (with the generation prompt).

        Either a list of ids, or ``{"input_ids": […], <media inputs>}`` when ``images=`` (``videos=``,
        ``audios=``) were given to a vision-language template; a text template refuses media
        (``TemplateError``).
        """
        ...

    def decode(self, ids: Sequence[int], **kwargs: Any) -> str:
        """Text of generated ids."""
        ...


@runtime_checkable
class MediaPromptEncoder(Protocol):
    """An :class:`Encoder` that can hand a prompt's media to an engine that processes them itself (vLLM).

    Vision-language templates implement it (the template factories of vision models); an engine
    that expands media placeholders with the model's own processor asks for it instead of tensors.
    """

    def encode_prompt_media(self, messages: Sequence[Mapping[str, Any]], **kwargs: Any) -> dict[str, Any]:
        """``{"input_ids", "expanded_ids", "media"}`` of a conversation to answer.

        ``input_ids`` keep one placeholder per medium as the chat template writes it; ``expanded_ids``
        are what ``encode_prompt`` gives (the tokens the model reads); ``media`` maps a modality
        (``image``, ``audio``) to its decoded items (PIL images, ``(samples, rate)`` pairs).
        Takes ``encode_prompt``'s keywords (``system``, ``tools``, ``images``, ``videos``, ``audios``).
        """
        ...


@runtime_checkable
class Quantizer(Protocol):
    """``swift export --quant_method``: checked before any weights load, then run."""

    def check_quant_method(self, method: str, bits: int | None) -> None:
        """Raise ``UsageError`` when ``method``/``bits`` cannot run here (library missing …)."""
        ...

    def quantize(self, args: Any, model_source: str, output_dir: str) -> str:
        """Quantize the model at ``model_source`` into ``output_dir`` and return that folder."""
        ...
