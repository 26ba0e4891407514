"""``VisionTemplate``: a text template plus a family's image (and, for Qwen-VL, video) inputs.

Encoding a row: its ``<image>`` tags (:mod:`swift.template.media`) become the family's
placeholder (what its published chat template writes for an image), the text template renders
the conversation with its loss mask as for any model, and before each rendered piece is
tokenized the k-th placeholder becomes the k-th image's tokens — as many as the image processor
says that image takes, which is what the family's processor class does to the rendered text.
The image tensors travel beside the ids. Image tokens are never trained. Videos (the
Qwen-VL families: :mod:`.video`) go the same way: ``<video>`` tags, their own placeholder and
``<|video_pad|>`` tokens, ``pixel_values_videos``/``video_grid_thw`` beside the ids.

Truncation never cuts an image: a row whose cut would fall into image tokens is rejected
(a bad row, counted) instead.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from swift.template import MaxLengthError, Template, TemplateError
from swift.template.media import COLUMNS, TAGS, check_counts, row_media
from swift_transformers.vision.media import MediaError, load_image
from swift_transformers.vision.processors import (
    GEMMA3,
    GEMMA4,
    GLM4V,
    INTERNVL,
    LLAVA,
    PIXTRAL,
    QWEN2_VL,
    QWEN3_VL,
    ImageInputs,
    ProcessorImageInputs,
    VisionFamily,
    auto_processor,
    image_processor,
    template_placeholder,
    token_pixels,
    tokens_per_image,
)
from swift_transformers.vision.video import VideoSettings, load_video, video_features

MEDIA_COLUMNS = tuple(COLUMNS.values())


class VisionTemplate:
    """Encodes conversations with images for one vision-language checkpoint.

    Everything that is not about media (``name``, ``stop_words``, ``decode``, ``render`` …)
    is the text template's.

    Args:
        text: The text template (built with no ``max_length``: images are expanded first).
        images: The checkpoint's image inputs.
        max_length: Longest encoded row in tokens, image tokens included.
        truncation_strategy: ``left``, ``right`` or ``delete`` (as :class:`swift.template.Template`).
        allow_remote: Fetch ``http(s)`` images and read local paths (a server checks its requests first).
    """

    def __init__(
        self,
        text: Template,
        images: ImageInputs,
        *,
        max_length: int | None = None,
        truncation_strategy: str = "left",
        allow_remote: bool = True,
        video_seconds: bool = False,
    ):
        self.text, self.images, self.family = text, images, images.family
        self.max_length, self.truncation_strategy = max_length, truncation_strategy
        self.allow_remote = allow_remote
        self.image_token_id = self._token_id(self.family.image_token)
        self.video_token_id = self._token_id(self.family.video_token) if self.family.video_token else None
        # Qwen2.5-VL aligns video positions to time (second_per_grid_ts); Qwen2-VL takes no such input
        self.video_seconds = video_seconds

    def _token_id(self, token: str) -> int:
        token_id = self.text.tokenizer.convert_tokens_to_ids(token)
        if not isinstance(token_id, int) or token_id == getattr(self.text.tokenizer, "unk_token_id", None):
            raise TemplateError(f"the tokenizer has no {token!r} token: not a {self.family.name} one")
        return token_id

    def __getattr__(self, name: str) -> Any:
        if name == "text":  # not built yet (copying, unpickling): no recursion through it
            raise AttributeError(name)
        return getattr(self.text, name)

    def with_options(self, **overrides: Any) -> VisionTemplate:
        """The same template with other options (``loss_scale``, ``max_length`` …), as the factory builds it."""
        return self.rebuild(**{**self.options, **overrides})

    def __repr__(self) -> str:
        return f"VisionTemplate({self.text.name!r}, {self.family.name})"

    # -- media ---------------------------------------------------------------------
    def _with_placeholders(self, messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for message in messages:
            content = message.get("content")
            if isinstance(content, str) and TAGS["image"] in content:
                content = content.replace(TAGS["image"], self.family.placeholder)
            if isinstance(content, str) and self.family.video_token and TAGS["video"] in content:
                content = content.replace(TAGS["video"], self.family.video_placeholder)
            message = dict(message)
            if isinstance(content, str):
                message["content"] = content
            out.append(message)
        return out

    def _media_features(
        self, media: Mapping[str, Sequence[Any]], decoded: dict[str, list[Any]] | None = None
    ) -> tuple[dict[str, Any], list[str], list[str]]:
        """The tensors of a row's images and videos, and the text each placeholder becomes.

        With ``decoded`` (a dict to fill), the decoded media are kept there too, under the
        modality names vLLM's ``multi_modal_data`` takes (``image``: PIL images).
        """
        if media.get("audios"):
            raise MediaError(f"model family {self.family.name}: audios are not read yet")
        if media.get("videos") and not self.family.video_token:
            raise MediaError(f"model family {self.family.name}: videos are not read yet (Qwen2-VL, 2.5-VL, 3-VL)")
        features: dict[str, Any] = {}
        image_texts: list[str] = []
        if media.get("images"):
            images = []
            for k, value in enumerate(media["images"], 1):
                try:
                    images.append(load_image(value, allow_remote=self.allow_remote, allow_files=self.allow_remote))
                except MediaError as exc:
                    raise MediaError(f"image {k}: {exc}") from None
            features, image_texts = self.images(images)
            if decoded is not None:
                decoded["image"] = images
        video_texts: list[str] = []
        if media.get("videos"):
            if decoded is not None:
                raise MediaError("videos are not handed to an engine that processes media itself yet")
            settings = VideoSettings.from_env()
            videos = []
            for k, value in enumerate(media["videos"], 1):
                try:
                    videos.append(
                        load_video(value, settings, allow_remote=self.allow_remote, allow_files=self.allow_remote)
                    )
                except MediaError as exc:
                    raise MediaError(f"video {k}: {exc}") from None
            tensors, layouts = video_features(videos, self.images.processor, settings)
            if not self.video_seconds:
                tensors.pop("second_per_grid_ts")
            features = {**features, **tensors}
            video_texts = [self._video_text(layout) for layout in layouts]
        return features, image_texts, video_texts

    def _video_text(self, layout: Any) -> str:
        """What a video's placeholder becomes: one block of its tokens, or (Qwen3-VL) a timed block per patch."""
        family = self.family
        block = f"{family.before}{family.video_token * layout.frame_tokens}{family.after}"
        if family.video_timestamps:
            return "".join(f"<{time:.1f} seconds>{block}" for time in layout.times)
        return f"{family.before}{family.video_token * layout.tokens}{family.after}"

    def _expander(self, image_texts: list[str], video_texts: list[str]) -> _Expanders:
        expanders = [_Expander(self.family.placeholder, image_texts, "image")]
        if self.family.video_token:
            expanders.append(_Expander(self.family.video_placeholder, video_texts, "video"))
        return _Expanders(expanders)

    def _truncate(self, *seqs: list[Any]) -> tuple[list[Any], ...]:
        ids = seqs[0]
        if self.max_length is None or len(ids) <= self.max_length:
            return seqs
        if self.truncation_strategy == "delete":
            raise MaxLengthError(len(ids), self.max_length)
        cut = slice(len(ids) - self.max_length, None) if self.truncation_strategy == "left" else slice(self.max_length)
        dropped = ids[: cut.start] if self.truncation_strategy == "left" else ids[self.max_length :]
        if self.image_token_id in dropped or (self.video_token_id is not None and self.video_token_id in dropped):
            raise MaxLengthError(len(ids), self.max_length)  # cutting would split an image from its tokens
        return tuple(seq[cut] for seq in seqs)

    # -- encoding ------------------------------------------------------------------
    def encode(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """``input_ids``/``labels`` (image tokens expanded, never trained) and the image tensors.

        Raises:
            TemplateError: Tags and images do not match, an image cannot be read (:class:`MediaError`).
            MaxLengthError: Too long for ``delete``, or a cut would fall into an image.
        """
        messages = row.get("messages") or []
        media = row_media(row)
        check_counts([m.get("content") or "" for m in messages if isinstance(m, Mapping)], media)
        features, image_texts, video_texts = self._media_features(media)
        text_row = {k: v for k, v in row.items() if k not in MEDIA_COLUMNS}
        expand = self._expander(image_texts, video_texts)
        encoded = self.text.encode({**text_row, "messages": self._with_placeholders(messages)}, expand=expand)
        expand.check()
        keys = [k for k in ("input_ids", "labels", "loss_scale") if k in encoded]
        seqs = self._truncate(*(list(encoded[k]) for k in keys))
        return {**dict(zip(keys, seqs)), **self._token_types(seqs[0], features)}

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
    ) -> dict[str, Any]:
        """A generation prompt: ``{"input_ids": […], "pixel_values": …, "image_grid_thw": …}``.

        Raises:
            TemplateError: As :meth:`encode`.
        """
        media = {"images": list(images or ()), "videos": list(videos or ()), "audios": list(audios or ())}
        ids, features, _ = self._expanded_prompt(messages, system, add_generation_prompt, tools, media)
        (ids,) = self._truncate(ids)
        return {"input_ids": ids, **self._token_types(ids, features)}

    def _expanded_prompt(
        self,
        messages: Sequence[Mapping[str, Any]],
        system: str | None,
        add_generation_prompt: bool,
        tools: Sequence[Any] | None,
        media: Mapping[str, list[Any]],
        decoded: dict[str, list[Any]] | None = None,
    ) -> tuple[list[int], dict[str, Any], int]:
        """``(ids with every placeholder expanded, media tensors, number of images)`` of a prompt."""
        check_counts([m.get("content") or "" for m in messages], media)
        features, image_texts, video_texts = self._media_features(media, decoded)
        expand = self._expander(image_texts, video_texts)
        ids = self.text.encode_prompt(
            self._with_placeholders(messages), system, add_generation_prompt, tools=tools, expand=expand
        )
        expand.check()
        return list(ids), features, len(image_texts)

    def encode_prompt_media(
        self,
        messages: Sequence[Mapping[str, Any]],
        system: str | None = None,
        add_generation_prompt: bool = True,
        *,
        tools: Sequence[Any] | None = None,
        images: Sequence[Any] | None = None,
        videos: Sequence[Any] | None = None,
        audios: Sequence[Any] | None = None,
    ) -> dict[str, Any]:
        """A generation prompt for an engine that expands media placeholders itself (vLLM).

        Returns ``{"input_ids": …, "expanded_ids": …, "media": …}``: ``input_ids`` keeps one
        placeholder per medium, as the chat template writes it (what the model's processor
        expands); ``expanded_ids`` are the ids :meth:`encode_prompt` gives (what the model reads,
        training's tokens); ``media`` the decoded media by modality (``image``: PIL images,
        ``audio``: ``(samples, rate)``). Media are read and checked here, as for :meth:`encode_prompt`.

        Raises:
            TemplateError: As :meth:`encode_prompt`; :class:`MaxLengthError` when the expanded prompt
                is longer than ``max_length`` (the engine's prompt cannot be cut as the expanded one).
        """
        media = {"images": list(images or ()), "videos": list(videos or ()), "audios": list(audios or ())}
        decoded: dict[str, list[Any]] = {}
        expanded, _, images_count = self._expanded_prompt(
            messages, system, add_generation_prompt, tools, media, decoded
        )
        if self.max_length is not None and len(expanded) > self.max_length:
            raise MaxLengthError(len(expanded), self.max_length)
        # the same rendering with every placeholder left as it is (checked: one per medium)
        keep = self._expander([self.family.placeholder] * images_count, [])
        ids = self.text.encode_prompt(
            self._with_placeholders(messages), system, add_generation_prompt, tools=tools, expand=keep
        )
        keep.check()
        return {"input_ids": list(ids), "expanded_ids": expanded, "media": decoded}

    def _token_types(self, ids: list[int], features: dict[str, Any]) -> dict[str, Any]:
        # which tokens are image tokens (1) and which text (0): Qwen computes its 3-D rope
        # positions from it, Gemma 3 lets image tokens attend to each other both ways
        if not features or not self.family.token_types:
            return features
        # (image 1, video 2: how Qwen-VL's processors mark them)
        kinds = {self.image_token_id: 1, self.video_token_id: 2}
        return {**features, self.family.token_types: [kinds.get(t, 0) for t in ids]}


class _Expander:
    """Rewrites rendered text: the k-th placeholder becomes ``texts[k]`` (the k-th image's tokens)."""

    def __init__(self, placeholder: str, texts: list[str], kind: str = "image"):
        self.placeholder, self.texts, self.used, self.kind = placeholder, texts, 0, kind

    def __call__(self, text: str) -> str:
        pieces = text.split(self.placeholder)
        if len(pieces) == 1:
            return text
        out = [pieces[0]]
        for piece in pieces[1:]:
            if self.used >= len(self.texts):
                raise TemplateError(
                    f"more {self.kind} placeholders in the rendered text than the {len(self.texts)} {self.kind}s"
                )
            out += [self.texts[self.used], piece]
            self.used += 1
        return "".join(out)

    def check(self) -> None:
        if self.used != len(self.texts):
            raise TemplateError(
                f"{self.used} {self.kind} placeholders in the rendered text for {len(self.texts)} {self.kind}s "
                "(the chat template dropped or repeated one)"
            )


class _Expanders:
    """Several :class:`_Expander` in turn (images, then videos: their placeholders differ)."""

    def __init__(self, expanders: list[_Expander]):
        self.expanders = expanders

    def __call__(self, text: str) -> str:
        for expander in self.expanders:
            text = expander(text)
        return text

    def check(self) -> None:
        for expander in self.expanders:
            expander.check()


def _processor_chat_template(tokenizer: Any) -> None:
    """A vision checkpoint may keep its chat template with the processor (``chat_template.json``/``.jinja``)."""
    import json
    import os

    folder = getattr(tokenizer, "name_or_path", None)
    if getattr(tokenizer, "chat_template", None) or not folder:
        return
    path = os.path.join(str(folder), "chat_template.json")
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as fh:
            tokenizer.chat_template = json.load(fh).get("chat_template")
    elif os.path.isfile(os.path.join(str(folder), "chat_template.jinja")):
        with open(os.path.join(str(folder), "chat_template.jinja"), encoding="utf-8") as fh:
            tokenizer.chat_template = fh.read()


def _vision_template(family: VisionFamily, meta: Any, tokenizer: Any, **options: Any) -> VisionTemplate:
    given = dict(options)
    family = family.for_tokenizer(tokenizer)
    _processor_chat_template(tokenizer)
    max_pixels = options.pop("max_pixels", None)
    max_length = options.pop("max_length", None)
    strategy = options.get("truncation_strategy", "left")
    text = Template(meta, tokenizer, max_length=None, **options)
    folder = getattr(tokenizer, "name_or_path", None)
    if not folder:
        raise TemplateError(f"template {meta.name!r} needs the tokenizer of a checkpoint folder (its image processor)")
    images = ImageInputs(
        image_processor(str(folder)), family, max_pixels, tokens_per_image(str(folder)), token_pixels(str(folder))
    )
    if family.tokens in ("fixed", "patches") and images.tokens_per_image is None:
        raise TemplateError(
            f"{folder}: config.json gives no image token count (mm_tokens_per_image / image_seq_length)"
        )
    if family.tokens == "rows" and images.token_pixels is None:
        raise TemplateError(f"{folder}: config.json gives no vision_config.patch_size / spatial_merge_size")
    template = VisionTemplate(
        text, images, max_length=max_length, truncation_strategy=strategy, video_seconds=_takes_video_seconds(folder)
    )
    template.options = given
    template.rebuild = functools.partial(_vision_template, family, meta, tokenizer)
    return template


def _takes_video_seconds(folder: str) -> bool:
    """Whether the checkpoint's model reads ``second_per_grid_ts`` (Qwen2.5-VL: ``config.json``'s model type)."""
    import json
    import os

    path = os.path.join(str(folder), "config.json")
    if not os.path.isfile(path):
        return False
    with open(path, encoding="utf-8") as fh:
        return json.load(fh).get("model_type") == "qwen2_5_vl"


def qwen2_vl(tokenizer: Any, **options: Any) -> VisionTemplate:
    """Qwen2-VL / Qwen2.5-VL: ChatML with "You are a helpful assistant." and ``<|vision_start|>`` images."""
    from swift.template.library import QWEN

    return _vision_template(QWEN2_VL, replace(QWEN, name="qwen2_vl"), tokenizer, **options)


def qwen3_vl(tokenizer: Any, **options: Any) -> VisionTemplate:
    """Qwen3-VL: the checkpoint's own chat template (Instruct and Thinking revisions differ), Qwen's image markers."""
    from swift.template.library import CHAT_TEMPLATE

    return _vision_template(QWEN3_VL, replace(CHAT_TEMPLATE, name="qwen3_vl"), tokenizer, **options)


def gemma3(tokenizer: Any, **options: Any) -> VisionTemplate:
    """Gemma 3: the gemma chat format (messages trimmed), ``<start_of_image>`` and a fixed number of soft tokens."""
    from swift.template.library import GEMMA

    return _vision_template(GEMMA3, replace(GEMMA, name="gemma3"), tokenizer, **options)


def glm4v(tokenizer: Any, **options: Any) -> VisionTemplate:
    """GLM-4.1V: GLM-4's chat format (the reply ends with the next, trained ``<|user|>``), its image markers.

    The published template writes no end token after a reply (the model stops at ``<|user|>``);
    like the ``glm4`` template, training teaches that ``<|user|>`` after the last reply.
    """
    from swift.template.library import GLM4

    return _vision_template(GLM4V, replace(GLM4, name="glm4v"), tokenizer, **options)


def internvl(tokenizer: Any, **options: Any) -> VisionTemplate:
    """InternVL (transformers' format, InternVL 3 / 3.5): ChatML with no default system, ``<IMG_CONTEXT>`` tiles."""
    from swift.template.library import CHATML

    return _vision_template(INTERNVL, replace(CHATML, name="internvl"), tokenizer, **options)


def gemma4(tokenizer: Any, **options: Any) -> VisionTemplate:
    """Gemma 4: the checkpoint's own chat template, the tokenizer's image tokens, soft tokens per image."""
    from swift.template.library import CHAT_TEMPLATE

    return _vision_template(GEMMA4, replace(CHAT_TEMPLATE, name="gemma4"), tokenizer, **options)


def llava(tokenizer: Any, **options: Any) -> VisionTemplate:
    """LLaVA 1.5 (llava-hf): the checkpoint's own chat template, ``<image>`` once per patch feature."""
    from swift.template.library import CHAT_TEMPLATE

    return _vision_template(LLAVA, replace(CHAT_TEMPLATE, name="llava"), tokenizer, **options)


def mistral3(tokenizer: Any, **options: Any) -> VisionTemplate:
    """Mistral 3 (Mistral Small 3.1 / 3.2): the checkpoint's own chat template, Pixtral's rows of ``[IMG]``."""
    from swift.template.library import CHAT_TEMPLATE

    return _vision_template(PIXTRAL, replace(CHAT_TEMPLATE, name="mistral3"), tokenizer, **options)


def auto(tokenizer: Any, **options: Any) -> VisionTemplate:
    """A vision model swift has no model type for: its own chat template and processor class.

    The processor says what the chat template writes for an image (``image_token``) and what
    each image becomes (``replace_image_token``), so any checkpoint whose processor follows
    transformers' protocol trains and serves with images on day 0.
    """
    from swift.template.library import CHAT_TEMPLATE

    folder = getattr(tokenizer, "name_or_path", None)
    if not folder:
        raise TemplateError("the vision_auto template needs the tokenizer of a checkpoint folder (its processor)")
    _processor_chat_template(tokenizer)
    given = dict(options)
    max_pixels = options.pop("max_pixels", None)
    max_length = options.pop("max_length", None)
    strategy = options.get("truncation_strategy", "left")
    images = ProcessorImageInputs(auto_processor(str(folder)), max_pixels, template_placeholder(tokenizer))
    text = Template(replace(CHAT_TEMPLATE, name="vision_auto"), tokenizer, max_length=None, **options)
    template = VisionTemplate(text, images, max_length=max_length, truncation_strategy=strategy)
    template.options = given
    template.rebuild = functools.partial(auto, tokenizer)
    return template
