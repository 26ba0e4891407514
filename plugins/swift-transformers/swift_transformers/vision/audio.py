"""Audio for Qwen2-Audio: decoding (PyAV), the processor's features, and the template around them.

An audio of a row or request is a file path, ``file://``/``data:`` URL, base64 text or bytes (as an
image is, :mod:`.media`), or an array of samples already at the feature extractor's rate. Files
are decoded with **PyAV** and resampled to the feature extractor's rate (16 kHz), mono; at most
:data:`MAX_AUDIO_SECONDS` are decoded (the features cover the first 30 s, as the processor's do).

:class:`AudioTemplate` is :class:`~swift_transformers.vision.template.VisionTemplate` with audio in
place of images: ms-swift's ``<audio>`` tags (and ``audios`` column, OpenAI ``input_audio``/
``audio_url`` parts) become what the published Qwen2-Audio template writes for the k-th audio
part, ``Audio k: <|audio_bos|><|AUDIO|><|audio_eos|>`` and a newline, and ``<|AUDIO|>`` becomes as many tokens
as the processor counts for that audio's frames; ``input_features`` and ``feature_attention_mask``
travel beside the ids — exactly what ``Qwen2AudioProcessor`` makes (the parity tests compare).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from swift.template import Template, TemplateError
from swift.template.media import TAGS
from swift_transformers.vision.media import MediaError, media_bytes
from swift_transformers.vision.template import VisionTemplate, _Expander, _Expanders

#: Longest audio decoded (seconds); the features keep the first 30.
MAX_AUDIO_SECONDS = 600
MAX_AUDIO_BYTES = 256 * 1024 * 1024


def load_audio(value: Any, rate: int, *, allow_remote: bool = True, allow_files: bool = True) -> Any:
    """``value`` as a mono float32 ``numpy`` array at ``rate`` samples per second.

    Raises:
        MediaError: With what cannot be read and why.
    """
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.astype(np.float32).reshape(-1)
    if isinstance(value, Mapping) and value.get("array") is not None:  # datasets' Audio feature
        if int(value.get("sampling_rate") or rate) != rate:
            raise MediaError(f"an audio array at {value.get('sampling_rate')} Hz; this model reads {rate} Hz")
        return np.asarray(value["array"], dtype=np.float32).reshape(-1)
    what = repr(value if isinstance(value, str) and len(value) <= 60 else type(value).__name__)
    data = media_bytes(value, allow_remote=allow_remote, allow_files=allow_files, limit=MAX_AUDIO_BYTES, kind="audio")
    try:
        import av
    except ImportError:
        raise MediaError("audio is decoded with PyAV: pip install av") from None
    chunks, total, limit = [], 0, MAX_AUDIO_SECONDS * rate
    try:
        with av.open(io.BytesIO(data)) as container:
            if not container.streams.audio:
                raise MediaError(f"audio {what} has no audio stream")
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += chunk.size
                if total >= limit:
                    break
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except MediaError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise MediaError(f"audio {what} is not readable audio: {exc}") from None
    if not chunks:
        raise MediaError(f"audio {what} holds no sound")
    return np.concatenate(chunks)[:limit].astype(np.float32)


@dataclass(frozen=True)
class AudioFamily:
    """Qwen2-Audio's audio markers (the fields :class:`VisionTemplate` reads of a family)."""

    name: str = "qwen2_audio"
    audio_token: str = "<|AUDIO|>"
    before: str = "<|audio_bos|>"
    after: str = "<|audio_eos|>"
    token_types: str = ""

    @property
    def placeholder(self) -> str:
        """What the published template writes for an audio part, around the audio token."""
        return f"{self.before}{self.audio_token}{self.after}"

    def tag_text(self, index: int) -> str:
        """What the ``index``-th (1-based) audio part of a conversation renders to."""
        return f"Audio {index}: {self.placeholder}\n"


class AudioTemplate(VisionTemplate):
    """Encodes conversations with audio for a Qwen2-Audio checkpoint (see the module docstring).

    Args:
        text: The text template (built with no ``max_length``).
        processor: The checkpoint's ``Qwen2AudioProcessor`` (its feature extractor counts the tokens).
        max_length: Longest encoded row in tokens, audio tokens included.
        truncation_strategy: ``left``, ``right`` or ``delete``.
        allow_remote: Fetch ``http(s)`` audio and read local paths (a server checks its requests first).
    """

    def __init__(
        self,
        text: Template,
        processor: Any,
        *,
        max_length: int | None = None,
        truncation_strategy: str = "left",
        allow_remote: bool = True,
    ):
        self.text, self.processor, self.family = text, processor, AudioFamily()
        self.images = None
        self.max_length, self.truncation_strategy = max_length, truncation_strategy
        self.allow_remote, self.video_seconds = allow_remote, False
        self.image_token_id = self._token_id(self.family.audio_token)  # the token a cut must not split
        self.video_token_id = None

    def __repr__(self) -> str:
        return f"AudioTemplate({self.text.name!r}, {self.family.name})"

    def _with_placeholders(self, messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        out, count = [], 0
        for message in messages:
            message = dict(message)
            content = message.get("content")
            if isinstance(content, str) and TAGS["audio"] in content:
                pieces = content.split(TAGS["audio"])
                text = pieces[0]
                for piece in pieces[1:]:
                    count += 1
                    text += self.family.tag_text(count) + piece
                message["content"] = text
            out.append(message)
        return out

    def _media_features(
        self, media: Mapping[str, Sequence[Any]], decoded: dict[str, list[Any]] | None = None
    ) -> tuple[dict[str, Any], list[str], list[str]]:
        for column in ("images", "videos"):
            if media.get(column):
                raise MediaError(f"model family {self.family.name}: {column} are not read (audio only)")
        if not media.get("audios"):
            return {}, [], []
        rate = int(self.processor.feature_extractor.sampling_rate)
        audios = []
        for k, value in enumerate(media["audios"], 1):
            try:
                audios.append(load_audio(value, rate, allow_remote=self.allow_remote, allow_files=self.allow_remote))
            except MediaError as exc:
                raise MediaError(f"audio {k}: {exc}") from None
        try:
            features, replacements = self.processor._process_audio(audios, sampling_rate=rate, return_tensors="pt")
        except (ValueError, TypeError) as exc:
            raise MediaError(f"the feature extractor rejects an audio: {exc}") from None
        if decoded is not None:
            decoded["audio"] = [(audio, rate) for audio in audios]
        texts = [f"{self.family.before}{text}{self.family.after}" for text in replacements]
        keys = ("input_features", "feature_attention_mask")
        return {k: features[k] for k in keys}, texts, []

    def _expander(self, image_texts: list[str], video_texts: list[str]) -> _Expanders:
        return _Expanders([_Expander(self.family.placeholder, image_texts, "audio")])


def qwen2_audio(tokenizer: Any, **options: Any) -> AudioTemplate:
    """Qwen2-Audio (-Instruct): ChatML with "You are a helpful assistant.", ``Audio k:`` audio parts."""
    from dataclasses import replace

    from swift.template.library import QWEN
    from swift_transformers.vision.processors import auto_processor

    folder = getattr(tokenizer, "name_or_path", None)
    if not folder:
        raise TemplateError("the qwen2_audio template needs the tokenizer of a checkpoint folder (its processor)")
    given = dict(options)
    if options.pop("max_pixels", None) is not None:
        raise TemplateError("--max_pixels bounds images; Qwen2-Audio reads audio")
    max_length = options.pop("max_length", None)
    strategy = options.get("truncation_strategy", "left")
    text = Template(replace(QWEN, name="qwen2_audio"), tokenizer, max_length=None, **options)
    template = AudioTemplate(text, auto_processor(str(folder)), max_length=max_length, truncation_strategy=strategy)
    template.options = given
    template.rebuild = functools.partial(qwen2_audio, tokenizer)
    return template
