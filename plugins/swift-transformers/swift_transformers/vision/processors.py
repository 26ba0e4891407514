"""How each vision-language family turns images into model inputs and placeholder tokens.

A :class:`VisionFamily` is data: the placeholder token the processor repeats once per visual
token and the text around it; :class:`ImageInputs` binds it to a checkpoint's image processor
(with ``--max_pixels``) and returns, for a list of images, the model's tensors and how many
placeholder tokens each image takes — what the family's own processor class computes.
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass, replace
from typing import Any

from swift.contracts.parts import ModelParts
from swift.kernel import UsageError
from swift_transformers.vision.media import MediaError

#: ms-swift's environment names for the image bounds (``MAX_PIXELS=...``); ``--max_pixels`` wins.
MAX_PIXELS_ENV = "MAX_PIXELS"
MIN_PIXELS_ENV = "MIN_PIXELS"


@dataclass(frozen=True)
class VisionFamily:
    """A family's image placeholders and how many tokens an image takes.

    Attributes:
        name: The family (``qwen2_vl``).
        image_token: The token repeated once per visual token (``<|image_pad|>``).
        placeholder: What an ``<image>`` tag becomes in the text the chat template renders —
            what the published template writes for an image part.
        before: Text written before the image tokens when the placeholder is expanded.
        after: Text written after them.
        tokens: ``grid``: from the processor's patch grid (``image_grid_thw`` / merge²);
            ``fixed``: the checkpoint's ``mm_tokens_per_image`` for every image; ``patches``: the
            checkpoint's ``image_seq_length`` per tile the processor cut (``num_patches``);
            ``soft``: what the processor says each image takes (``num_soft_tokens_per_image``);
            ``rows``: one token per merged patch, row by row, each row closed by ``row_break`` and
            the last by ``end`` (Pixtral: the image processor's ``image_sizes`` over the model's
            patch size × ``spatial_merge_size``).
        feature_keys: The image processor outputs the model takes.
        token_types: Name of the per-token modality input (1 = image token) the model reads;
            empty for a model that reads none.
        fixed_size: Every image is resized to one size (``--max_pixels`` has nothing to bound).
        merge_size_key: The image processor attribute that divides the patch grid into tokens.
        parts: Where the language model, vision tower and aligner live in the model (freezing).
        from_tokenizer: ``(field, tokenizer attribute)`` pairs: fields whose text the checkpoint's
            tokenizer names (``("before", "boi_token")``), read when the template is built.
        row_break: ``rows`` families: the token after each row of image tokens.
        end: ``rows`` families: the token that replaces the last row's break.
        video_token: The token repeated once per visual token of a video (``<|video_pad|>``);
            empty for a family whose videos swift does not read.
        video_placeholder: What a ``<video>`` tag becomes in the rendered text (the published
            template's video part); ``before``/``after`` surround its expansion as an image's.
        video_timestamps: Each temporal patch of a video is its own ``before … after`` block
            preceded by its time (``<1.5 seconds>``; Qwen3-VL); else one block per video.
    """

    name: str
    image_token: str
    placeholder: str
    before: str = ""
    after: str = ""
    tokens: str = "grid"
    feature_keys: tuple[str, ...] = ("pixel_values", "image_grid_thw")
    token_types: str = "mm_token_type_ids"
    fixed_size: bool = False
    merge_size_key: str = "merge_size"
    parts: ModelParts | None = None
    from_tokenizer: tuple[tuple[str, str], ...] = ()
    row_break: str = ""
    end: str = ""
    video_token: str = ""
    video_placeholder: str = ""
    video_timestamps: bool = False

    def for_tokenizer(self, tokenizer: Any) -> VisionFamily:
        """The family with its ``from_tokenizer`` fields read from ``tokenizer``.

        Raises:
            UsageError: The tokenizer lacks one of them (not a checkpoint of this family).
        """
        values = {}
        for field, attr in self.from_tokenizer:
            value = getattr(tokenizer, attr, None)
            if not isinstance(value, str) or not value:
                raise UsageError(f"the tokenizer has no {attr} (a {self.name} tokenizer names its image tokens)")
            values[field] = value
        return replace(self, **values) if values else self

    def expansion(self, count: int) -> str:
        """The text an image of ``count`` tokens takes in place of its placeholder."""
        return f"{self.before}{self.image_token * count}{self.after}"

    def grid_expansion(self, rows: int, cols: int) -> str:
        """The text of a ``rows`` × ``cols`` image of a ``rows`` family: each row closed, the last by ``end``."""
        row = self.image_token * cols + self.row_break
        return f"{self.before}{row * (rows - 1)}{self.image_token * cols}{self.end}{self.after}"


# Qwen2-VL's layout (GLM-4.1V shares it): the language model, the vision tower with its merger
QWEN_PARTS = ModelParts(
    language_model=("model.language_model.", "lm_head"),
    vision_tower=("model.visual.",),
    aligner=("model.visual.merger.",),
)
QWEN2_VL = VisionFamily(
    "qwen2_vl",
    "<|image_pad|>",
    "<|vision_start|><|image_pad|><|vision_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    parts=QWEN_PARTS,
    video_token="<|video_pad|>",
    video_placeholder="<|vision_start|><|video_pad|><|vision_end|>",
)
QWEN3_VL = VisionFamily(
    "qwen3_vl",
    "<|image_pad|>",
    "<|vision_start|><|image_pad|><|vision_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    video_token="<|video_pad|>",
    video_placeholder="<|vision_start|><|video_pad|><|vision_end|>",
    video_timestamps=True,
    parts=ModelParts(
        language_model=("model.language_model.", "lm_head"),
        vision_tower=("model.visual.",),
        aligner=("model.visual.merger.", "model.visual.deepstack_merger_list."),
    ),
)
# Gemma 3: the published template writes <start_of_image>; the processor puts the image's fixed
# number of soft tokens between it and <end_of_image>, in blank lines
GEMMA3 = VisionFamily(
    "gemma3",
    "<image_soft_token>",
    "<start_of_image>",
    "\n\n<start_of_image>",
    "<end_of_image>\n\n",
    tokens="fixed",
    feature_keys=("pixel_values",),
    token_types="token_type_ids",
    fixed_size=True,
    parts=ModelParts(
        language_model=("model.language_model.", "lm_head"),
        vision_tower=("model.vision_tower.",),
        aligner=("model.multi_modal_projector.",),
    ),
)
GLM4V = VisionFamily(
    "glm4v",
    "<|image|>",
    "<|begin_of_image|><|image|><|end_of_image|>",
    "<|begin_of_image|>",
    "<|end_of_image|>",
    parts=QWEN_PARTS,
)
# InternVL: the published template writes <IMG_CONTEXT> and a newline; the processor puts
# image_seq_length context tokens per tile between <img> and </img>
INTERNVL = VisionFamily(
    "internvl",
    "<IMG_CONTEXT>",
    "<IMG_CONTEXT>\n",
    "<img>",
    "</img>\n",
    tokens="patches",
    feature_keys=("pixel_values",),
    token_types="",
    fixed_size=True,
    parts=ModelParts(
        language_model=("model.language_model.", "lm_head"),
        vision_tower=("model.vision_tower.",),
        aligner=("model.multi_modal_projector.",),
    ),
)
# Gemma 4: the tokenizer names its image tokens; the processor says how many soft tokens an image
# takes (aspect ratio kept, within its max_soft_tokens budget), between the begin/end image tokens
GEMMA4 = VisionFamily(
    "gemma4",
    "<|image|>",
    "<|image|>",
    tokens="soft",
    feature_keys=("pixel_values", "image_position_ids"),
    fixed_size=True,
    parts=ModelParts(
        language_model=("model.language_model.", "lm_head"),
        vision_tower=("model.vision_tower.",),
        aligner=("model.embed_vision.",),
    ),
    from_tokenizer=(
        ("image_token", "image_token"),
        ("placeholder", "image_token"),
        ("before", "boi_token"),
        ("after", "eoi_token"),
    ),
)
# LLaVA (1.5, transformers' llava-hf format): the published template writes "<image>\n" per image
# (all of a message's images before its text); the processor repeats <image> once per patch feature
LLAVA = VisionFamily(
    "llava",
    "<image>",
    "<image>\n",
    "",
    "\n",
    tokens="fixed",
    feature_keys=("pixel_values",),
    token_types="",
    fixed_size=True,
    parts=ModelParts(
        language_model=("model.language_model.", "lm_head"),
        vision_tower=("model.vision_tower.",),
        aligner=("model.multi_modal_projector.",),
    ),
)
# Mistral 3 (Mistral Small 3.1 / 3.2, Pixtral's vision tower): the published template writes [IMG]
# per image; the processor writes a row of [IMG] per 2 × 2 merged patches, [IMG_BREAK] after each
# row and [IMG_END] in place of the last (images keep their aspect ratio within the longest edge)
PIXTRAL = VisionFamily(
    "mistral3",
    "[IMG]",
    "[IMG]",
    tokens="rows",
    feature_keys=("pixel_values", "image_sizes"),
    token_types="",
    fixed_size=True,
    row_break="[IMG_BREAK]",
    end="[IMG_END]",
    parts=ModelParts(
        language_model=("model.language_model.", "lm_head"),
        vision_tower=("model.vision_tower.",),
        aligner=("model.multi_modal_projector.",),
    ),
)
#: Model types whose samples keep their own 3-D positions in a padding-free row (:mod:`.packing`).
PADDING_FREE_FAMILIES = frozenset({"qwen2_vl", "qwen2_5_vl", "qwen3_vl", "qwen3_vl_moe", "glm4v"})
# (Qwen3.5's linear-attention layers read no packed-row positions: not padding-free yet)
#: Model type → family (the loader attaches the family's parts; checks read it before loading).
FAMILIES = {
    "qwen2_vl": QWEN2_VL,
    "qwen2_5_vl": QWEN2_VL,
    "qwen3_vl": QWEN3_VL,
    "qwen3_vl_moe": QWEN3_VL,
    "qwen3_5_vl": QWEN3_VL,
    "qwen3_5_moe_vl": QWEN3_VL,
    "gemma3": GEMMA3,
    "glm4v": GLM4V,
    "internvl": INTERNVL,
    "gemma4": GEMMA4,
    "llava": LLAVA,
    "mistral3": PIXTRAL,
}


@functools.lru_cache(maxsize=8)
def image_processor(model_dir: str) -> Any:
    """The checkpoint's image processor (``preprocessor_config.json``); the PIL one without torchvision."""
    from transformers import AutoImageProcessor

    if not os.path.isfile(os.path.join(model_dir, "preprocessor_config.json")):
        raise UsageError(
            f"{model_dir} has no preprocessor_config.json: a vision-language checkpoint needs its image processor"
        )
    try:
        return AutoImageProcessor.from_pretrained(model_dir)
    except (OSError, ValueError, ImportError) as exc:
        raise UsageError(f"cannot load the image processor of {model_dir}: {type(exc).__name__}: {exc}") from exc


def _env_int(name: str) -> int | None:
    value = os.environ.get(name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"{name}={value!r} must be a whole number of pixels") from None


class ImageInputs:
    """Images → ``(tensors, placeholder tokens per image)`` for one checkpoint.

    Args:
        processor: The checkpoint's image processor.
        family: The family's placeholders.
        max_pixels: ``--max_pixels`` (else ``MAX_PIXELS``, else the processor's own bound).
        tokens_per_image: For ``fixed`` families, the checkpoint's ``mm_tokens_per_image``.

    Raises:
        UsageError: ``--max_pixels`` for a family that resizes every image to one size.
    """

    def __init__(
        self,
        processor: Any,
        family: VisionFamily,
        max_pixels: int | None = None,
        tokens_per_image: int | None = None,
        token_pixels: int | None = None,
    ):
        self.processor, self.family = processor, family
        self.tokens_per_image = tokens_per_image
        self.token_pixels = token_pixels
        if family.fixed_size:
            if max_pixels is not None:
                raise UsageError(
                    f"--max_pixels {max_pixels}: {family.name} sizes images by its image processor's own budget "
                    "(one size, tiles or soft tokens); --max_pixels has nothing to bound"
                )
            self.size, self.max_pixels = None, None
            return
        max_pixels = max_pixels if max_pixels is not None else _env_int(MAX_PIXELS_ENV)
        min_pixels = _env_int(MIN_PIXELS_ENV)
        size = dict(getattr(processor, "size", None) or {})
        if max_pixels is not None:
            if max_pixels <= 0:
                raise UsageError(f"--max_pixels must be positive, got {max_pixels}")
            size["longest_edge"] = max_pixels
        if min_pixels is not None:
            size["shortest_edge"] = min_pixels
        if "longest_edge" in size and "shortest_edge" in size:
            size["shortest_edge"] = min(size["shortest_edge"], size["longest_edge"])
        self.size = size or None
        self.max_pixels = max_pixels

    def __call__(self, images: list[Any]) -> tuple[dict[str, Any], list[str]]:
        """The model's image tensors and the text each image's placeholder becomes."""
        kwargs: dict[str, Any] = {"size": self.size} if self.size else {}
        if self.family.tokens == "rows":  # resized to whole merged patches, as the processor asks
            kwargs["patch_size"] = {"height": self.token_pixels, "width": self.token_pixels}
        try:
            features = self.processor(images=images, return_tensors="pt", **kwargs)
        except (ValueError, TypeError, OSError) as exc:
            raise MediaError(f"the image processor rejects an image: {exc}") from None
        if self.family.tokens == "rows":
            unit = int(self.token_pixels)
            texts = [self.family.grid_expansion(h // unit, w // unit) for h, w in features["image_sizes"].tolist()]
            return {k: features[k] for k in self.family.feature_keys}, texts
        if self.family.tokens == "fixed":
            counts = [int(self.tokens_per_image)] * len(images)
        elif self.family.tokens == "patches":
            counts = [int(n) * int(self.tokens_per_image) for n in features["num_patches"]]
        elif self.family.tokens == "soft":
            counts = [int(n) for n in features["num_soft_tokens_per_image"]]
        else:
            merge = int(getattr(self.processor, self.family.merge_size_key, 1) or 1)
            counts = [int(n) // (merge * merge) for n in features["image_grid_thw"].prod(-1).tolist()]
        return {k: features[k] for k in self.family.feature_keys}, [self.family.expansion(n) for n in counts]


class ProcessorImageInputs:
    """Images → ``(tensors, texts)`` through a checkpoint's own processor class (families swift has no record of).

    transformers' processors share one protocol: ``image_token`` is what the chat template writes
    for an image, ``image_processor`` makes the tensors and ``replace_image_token(inputs, k)``
    the text the k-th image's placeholder becomes (its image step returns both). Loading the
    processor class needs what it needs (torchvision for processors with a video processor).

    Args:
        processor: The checkpoint's processor (``AutoProcessor``).
        max_pixels: Refused: how a family bounds images is its processor's own setting.
    """

    def __init__(self, processor: Any, max_pixels: int | None = None, placeholder: str | None = None):
        if max_pixels is not None:
            raise UsageError(
                f"--max_pixels {max_pixels}: this model's images are sized by its processor "
                "(set its image processor's own size options in preprocessor_config.json)"
            )
        token = getattr(processor, "image_token", None)
        if not isinstance(token, str) or not callable(getattr(processor, "replace_image_token", None)):
            raise UsageError(
                f"{type(processor).__name__} does not expand image placeholders the way transformers' processors "
                "do (image_token, replace_image_token); this model needs a vision model type of its own"
            )
        self.processor = processor
        names = list(getattr(processor.image_processor, "model_input_names", None) or ["pixel_values"])
        types = "mm_token_type_ids" if getattr(processor, "return_mm_token_type_ids", False) else ""
        placeholder = placeholder if placeholder and token in placeholder else token
        self.family = VisionFamily(
            type(processor).__name__, token, placeholder, feature_keys=tuple(names), token_types=types
        )

    def __call__(self, images: list[Any]) -> tuple[dict[str, Any], list[str]]:
        """The image processor's tensors and the processor's replacement text for each image.

        Through the processor's own image step (its default image options merged in, as its
        ``__call__`` does), so tiles, row/column tags and any-resolution grids come out as they would.
        """
        processor = self.processor
        try:
            # the kwargs class named explicitly: transformers before 5.2x takes it positionally, later defaults to it
            merged = processor._merge_kwargs(
                processor.valid_processor_kwargs,
                tokenizer_init_kwargs=processor.tokenizer.init_kwargs,
                return_tensors="pt",
            )
            # one sample's images, nested as the processor nests them (LLaVA-OneVision counts a
            # sample's images to choose between tiles and one view per image)
            features, replacements = processor._process_images([list(images)], **merged["images_kwargs"])
        except (ValueError, TypeError, OSError) as exc:
            raise MediaError(f"the image processor rejects an image: {exc}") from None
        token, placeholder = self.family.image_token, self.family.placeholder
        texts = [placeholder.replace(token, text, 1) for text in replacements]
        return {k: features[k] for k in self.family.feature_keys if k in features}, texts


_MARK = "\u2063swift-text\u2063"


def template_placeholder(tokenizer: Any) -> str | None:
    """What the checkpoint's chat template writes for an image part (``<image>`` and a newline, …), or None.

    Found by rendering a user message with and without an image part before the same text.
    """

    def before_mark(parts: list[dict]) -> str:
        text = tokenizer.apply_chat_template([{"role": "user", "content": parts}], tokenize=False)
        return text[: text.index(_MARK)]

    try:
        with_image = before_mark([{"type": "image"}, {"type": "text", "text": _MARK}])
        without = before_mark([{"type": "text", "text": _MARK}])
    except Exception:  # noqa: BLE001 - a template that rejects content parts: fall back to the image token
        return None
    if not with_image.startswith(without):
        return None
    return with_image[len(without) :] or None


@functools.lru_cache(maxsize=4)
def auto_processor(model_dir: str) -> Any:
    """The checkpoint's processor class (``AutoProcessor``), for families swift has no record of.

    Raises:
        UsageError: It cannot be loaded here (torchvision missing for a processor with a video part …).
    """
    from transformers import AutoProcessor

    try:
        return AutoProcessor.from_pretrained(model_dir)
    except (OSError, ValueError, ImportError, AttributeError, TypeError) as exc:
        if isinstance(exc, ImportError) and "VideoProcessor" in str(exc):
            # its video part needs torchvision, which is not here; swift reads no videos yet
            built = _processor_without_video(model_dir)
            if built is not None:
                return built
        raise UsageError(
            f"cannot load the processor of {model_dir} ({type(exc).__name__}: {exc}); a vision model swift has no "
            "model type for is encoded by its own processor class, which must load here"
        ) from exc


def _processor_without_video(model_dir: str) -> Any:
    """The checkpoint's processor class built from its image processor and tokenizer alone, or None.

    transformers looks up every part of a processor, and a video processor class cannot be looked
    up without torchvision; for this construction only, that lookup accepts the missing part (the
    parity tests build the reference processors the same way). The class's own options come from
    ``processor_config.json``.
    """
    import inspect
    import json
    from pathlib import Path

    import transformers
    from transformers import AutoImageProcessor, AutoTokenizer
    from transformers.processing_utils import ProcessorMixin

    config_file = Path(model_dir) / "processor_config.json"
    if not config_file.is_file():
        return None
    options = json.loads(config_file.read_text(encoding="utf-8"))
    cls = getattr(transformers, str(options.pop("processor_class", "")), None)
    if cls is None:
        return None
    accepted = inspect.signature(cls.__init__).parameters
    if "video_processor" not in accepted:
        return None
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    kwargs = {k: v for k, v in options.items() if k in accepted and k not in ("image_processor", "tokenizer")}
    lookup = ProcessorMixin.__dict__["get_possibly_dynamic_module"]

    def without_video(name: str) -> Any:
        return object if "VideoProcessor" in name else lookup.__func__(name)

    with _PROCESSOR_LOOKUP:
        ProcessorMixin.get_possibly_dynamic_module = staticmethod(without_video)
        try:
            return cls(
                image_processor=AutoImageProcessor.from_pretrained(model_dir),
                tokenizer=tokenizer,
                video_processor=None,
                chat_template=getattr(tokenizer, "chat_template", None),
                **kwargs,
            )
        finally:
            ProcessorMixin.get_possibly_dynamic_module = lookup


_PROCESSOR_LOOKUP = threading.Lock()


def token_pixels(model_dir: str) -> int | None:
    """The edge in pixels of one image token: the vision patch times ``spatial_merge_size`` (``config.json``)."""
    import json

    try:
        with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as fh:
            config = json.load(fh)
    except (OSError, ValueError):
        return None
    patch = (config.get("vision_config") or {}).get("patch_size")
    merge = config.get("spatial_merge_size", 1)
    return int(patch) * int(merge) if isinstance(patch, int) and isinstance(merge, int) else None


def tokens_per_image(model_dir: str) -> int | None:
    """The tokens of an image (``mm_tokens_per_image``) or of a tile (``image_seq_length``) in ``config.json``."""
    import json

    try:
        with open(os.path.join(model_dir, "config.json"), encoding="utf-8") as fh:
            config = json.load(fh)
    except (OSError, ValueError):
        return None
    value = config.get("mm_tokens_per_image", config.get("image_seq_length"))
    return int(value) if isinstance(value, int) else None
