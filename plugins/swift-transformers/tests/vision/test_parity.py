"""swift's encoding of image conversations equals the family's own processor's, token for token.

The reference is the architecture's processor class (``Qwen2VLProcessor`` …) built from the
checkpoint's image processor and tokenizer with the published chat template: its
``apply_chat_template`` text, run through the processor with the images, gives ``input_ids``,
``mm_token_type_ids``, ``pixel_values`` and ``image_grid_thw``. Without torchvision its video
processor class cannot be looked up, so only that lookup is patched (no video is used).
"""

from __future__ import annotations

import pytest
import torch

from swift.template import get_template
from swift.template.media import split_tags

SYSTEM = "You describe pictures in one word."
# families whose processor sizes every image itself: --max_pixels / MAX_PIXELS are refused
PROCESSOR_SIZED = (
    "gemma3",
    "internvl",
    "gemma4",
    "llava",
    "llava_next",
    "llava_onevision",
    "idefics3",
    "smolvlm",
    "mistral3",
)


def _conversations(images: list, arch: str = "") -> dict[str, tuple[list[dict], list]]:
    a, b, c = images
    # LLaVA's template writes a message's images before its text: tags go first there
    trailing = "<image>And this one?" if arch.startswith("llava") else "And this one?<image>"
    return {
        "single": ([_u("<image>What color is it?"), _a("red")], [a]),
        # (Gemma 3's published template trims every text part: tags touch the text, so both agree)
        "several": ([_u("<image><image>Compare them."), _a("Red, then blue.")], [a, b]),
        "multi_turn": ([_u("<image>Color?"), _a("red"), _u(trailing), _a("blue")], [a, c]),
        "system": ([{"role": "system", "content": SYSTEM}, _u("<image>Describe."), _a("square")], [b]),
        "text_only": ([_u("No picture today."), _a("Fine.")], []),
    }


def _u(text: str) -> dict:
    return {"role": "user", "content": text}


def _a(text: str) -> dict:
    return {"role": "assistant", "content": text}


def _parts(messages: list[dict]) -> list[dict]:
    """Our ``<image>`` tags as the content parts the published template reads."""
    out = []
    for m in messages:
        parts = [{"type": "image"} if p == "<image>" else {"type": "text", "text": p} for p in split_tags(m["content"])]
        out.append({"role": m["role"], "content": parts})
    return out


@pytest.fixture(scope="module")
def images(tmp_path_factory, image_factory):
    make_image = image_factory
    folder = tmp_path_factory.mktemp("parity")
    return [
        make_image(folder / "a.png", (90, 60), (200, 40, 40)),
        make_image(folder / "b.png", (200, 140), (40, 40, 200)),  # more tokens than a
        make_image(folder / "c.png", (28, 300), (40, 200, 40)),  # tall and thin
    ]


@pytest.fixture(scope="module")
def processor(vision_model, monkeypatch_module):
    from transformers import AutoImageProcessor, AutoTokenizer
    from transformers.processing_utils import ProcessorMixin

    from swift.kernel import load_object

    lookup = ProcessorMixin.get_possibly_dynamic_module

    def without_video(name):  # the only patch: no torchvision, so no video processor class
        return object if "VideoProcessor" in name else lookup(name)

    monkeypatch_module.setattr(ProcessorMixin, "get_possibly_dynamic_module", staticmethod(without_video))
    tokenizer = AutoTokenizer.from_pretrained(vision_model.path)
    if vision_model.arch == "mistral3":
        return _pixtral_processor(vision_model, tokenizer, monkeypatch_module)
    extra = {"image_seq_length": 4} if vision_model.arch in ("gemma3", "internvl") else {}
    if vision_model.arch != "gemma3":
        extra["video_processor"] = None
    if vision_model.arch in ("llava_next", "idefics3"):  # saved with its processor class: the reference is it
        from transformers import AutoProcessor

        processor = AutoProcessor.from_pretrained(vision_model.path)
        processor.chat_template = vision_model.published
        return processor
    if vision_model.arch == "smolvlm":
        extra["image_seq_len"] = 4
    if vision_model.arch == "llava_onevision":  # its options as processor_config.json gives them
        extra |= {
            "num_image_tokens": 16,
            "vision_feature_select_strategy": "full",
            "vision_aspect_ratio": "anyres_max_9",
        }
    if vision_model.arch == "llava":
        extra = {"patch_size": 14, "vision_feature_select_strategy": "default", "num_additional_image_tokens": 1}
    if vision_model.arch == "gemma4":  # the processor holds an audio feature extractor too (unused here)
        from transformers.models.gemma4.feature_extraction_gemma4 import Gemma4AudioFeatureExtractor

        extra["feature_extractor"] = Gemma4AudioFeatureExtractor()
    return load_object(vision_model.processor_class, what="processor")(
        image_processor=AutoImageProcessor.from_pretrained(vision_model.path),
        tokenizer=tokenizer,
        chat_template=vision_model.published,
        **extra,
    )


def _pixtral_processor(vision_model, tokenizer, patch):
    """PixtralProcessor: its module imports one resize helper from the torchvision image processor;
    the PIL image processor's module defines the same function, which stands in for it (the only patch)."""
    import sys
    import types

    from transformers import AutoImageProcessor
    from transformers.models.pixtral import image_processing_pil_pixtral as pil

    stub = types.ModuleType("transformers.models.pixtral.image_processing_pixtral")
    stub.get_resize_output_image_size = pil.get_resize_output_image_size
    patch.setitem(sys.modules, stub.__name__, stub)
    patch.delitem(sys.modules, "transformers.models.pixtral.processing_pixtral", raising=False)
    from transformers.models.pixtral.processing_pixtral import PixtralProcessor

    return PixtralProcessor(
        image_processor=AutoImageProcessor.from_pretrained(vision_model.path),
        tokenizer=tokenizer,
        patch_size=14,
        spatial_merge_size=2,
        chat_template=vision_model.published,
    )


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.mark.parametrize("name", ["single", "several", "multi_turn", "system", "text_only"])
def test_training_rows_match_the_processor(vision_model, processor, images, name, spans_of):
    from PIL import Image

    messages, paths = _conversations(images, vision_model.arch)[name]
    template = get_template(vision_model.template, processor.tokenizer)
    ours = template.encode({"messages": messages, "images": [str(p) for p in paths]})

    text = _render(processor, _parts(messages))
    pictures = [[Image.open(p).convert("RGB") for p in paths]] if paths else None
    # the rendered template holds BOS already (Gemma): add no special tokens, as apply_chat_template does
    ref = processor(text=[text], images=pictures, return_tensors="pt", add_special_tokens=False)
    suffix = _trained_suffix(vision_model, processor.tokenizer)
    assert ours["input_ids"] == ref["input_ids"][0].tolist() + suffix
    if paths:
        for key in ("mm_token_type_ids", "token_type_ids"):
            if key in ref and key in ours:
                assert ours[key] == ref[key][0].tolist() + [0] * len(suffix)
        if "image_grid_thw" in ref:
            assert torch.equal(ours["image_grid_thw"], ref["image_grid_thw"])
        assert torch.allclose(ours["pixel_values"], ref["pixel_values"])
    else:
        assert "pixel_values" not in ours
    # the trained tokens are exactly each reply and its <|im_end|>; no image token is trained
    spans = spans_of(ours["labels"])
    if vision_model.arch == "glm4v":  # GLM: "\n" + reply; the last one ends with the trained <|user|>
        replies = ["\n" + m["content"] for m in messages if m["role"] == "assistant"]
        replies[-1] += "<|user|>"
    elif vision_model.arch.startswith("llava"):  # the prompt ends at "ASSISTANT:"; a reply starts with a space
        replies = [" " + m["content"] + "<|im_end|>" for m in messages if m["role"] == "assistant"]
    elif vision_model.arch in ("idefics3", "smolvlm"):  # "Assistant:" then the reply and <end_of_utterance>
        replies = [m["content"] + "<end_of_utterance>" for m in messages if m["role"] == "assistant"]
    else:
        end = {"gemma3": "<end_of_turn>", "gemma4": "<turn|>", "mistral3": "</s>"}.get(vision_model.arch, "<|im_end|>")
        replies = [m["content"] + end for m in messages if m["role"] == "assistant"]
    assert [processor.tokenizer.decode(s) for s in spans] == replies


def _render(processor, messages: list[dict], **options) -> str:
    """The processor's chat template on ``messages`` (SmolVLM's own method reads its absent video part's frame
    defaults even for images: the same template is rendered through its tokenizer there)."""
    if type(processor).__name__ == "SmolVLMProcessor":
        return processor.tokenizer.apply_chat_template(
            messages, chat_template=processor.chat_template, tokenize=False, **options
        )
    return processor.apply_chat_template(messages, tokenize=False, **options)


def _trained_suffix(vision_model, tokenizer) -> list[int]:
    # GLM-4's published template writes nothing after the last reply; swift trains the <|user|> that ends it
    return tokenizer.encode("<|user|>", add_special_tokens=False) if vision_model.arch == "glm4v" else []


def test_generation_prompt_matches_the_processor(vision_model, processor, images):
    from PIL import Image

    messages = [_u("<image>What is it?")]
    template = get_template(vision_model.template, processor.tokenizer)
    ours = template.encode_prompt(messages, images=[str(images[1])])
    text = _render(processor, _parts(messages), add_generation_prompt=True)
    ref = processor(
        text=[text], images=[[Image.open(images[1]).convert("RGB")]], return_tensors="pt", add_special_tokens=False
    )
    assert ours["input_ids"] == ref["input_ids"][0].tolist()
    assert torch.allclose(ours["pixel_values"], ref["pixel_values"])


def test_engine_prompt_keeps_the_published_placeholders_for_the_processor_to_expand(vision_model, processor, images):
    """What vLLM gets: the chat template's own text (one placeholder per image), the decoded images."""
    from PIL import Image

    messages = [_u("<image><image>Compare them.")]
    template = get_template(vision_model.template, processor.tokenizer)
    pair = [str(images[0]), str(images[2])]
    ours = template.encode_prompt_media(messages, images=pair)
    text = _render(processor, _parts(messages), add_generation_prompt=True)

    assert ours["input_ids"] == processor.tokenizer(text, add_special_tokens=False)["input_ids"]
    assert ours["expanded_ids"] == template.encode_prompt(messages, images=pair)["input_ids"]
    assert len(ours["expanded_ids"]) > len(ours["input_ids"])
    assert [im.size for im in ours["media"]["image"]] == [Image.open(path).size for path in pair]


def test_max_pixels_changes_the_image_tokens_as_the_processor_predicts(vision_model, images):
    from transformers import AutoImageProcessor, AutoTokenizer

    from swift.kernel import UsageError

    tokenizer = AutoTokenizer.from_pretrained(vision_model.path)
    row = {"messages": [_u("<image>What is it?"), _a("blue")], "images": [str(images[1])]}
    if vision_model.arch in PROCESSOR_SIZED:
        with pytest.raises(UsageError, match="has nothing to bound|sized by its processor"):
            get_template(vision_model.template, tokenizer, max_pixels=28 * 28 * 8)
        return
    image_tokens = {}
    for max_pixels in (None, 28 * 28 * 8):
        encoded = get_template(vision_model.template, tokenizer, max_pixels=max_pixels).encode(row)
        image_tokens[max_pixels] = sum(encoded["mm_token_type_ids"])
    # what the image processor itself says the image becomes under that bound (patches / merge²)
    processor = AutoImageProcessor.from_pretrained(vision_model.path)
    bound = 28 * 28 * 8
    size = {"longest_edge": bound, "shortest_edge": min(processor.size["shortest_edge"], bound)}
    predicted = processor.get_number_of_image_patches(140, 200, {"max_pixels": bound, "size": size}) // 4
    assert image_tokens[28 * 28 * 8] == predicted <= 8
    assert image_tokens[None] > image_tokens[28 * 28 * 8]


def test_text_template_refuses_images_and_max_pixels(vision_model):
    from transformers import AutoTokenizer

    from swift.kernel import UsageError
    from swift.template import TemplateError

    tokenizer = AutoTokenizer.from_pretrained(vision_model.path)
    with pytest.raises(TemplateError, match="text-only model"):
        get_template("qwen", tokenizer).encode({"messages": [_u("<image>hi"), _a("x")], "images": ["a.png"]})
    with pytest.raises(UsageError, match="reads no images"):
        get_template("qwen", tokenizer, max_pixels=1000)


def test_bad_media_rows_say_what_is_wrong(vision_model, images, tmp_path):
    from transformers import AutoTokenizer

    from swift.template import TemplateError

    template = get_template(vision_model.template, AutoTokenizer.from_pretrained(vision_model.path))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    cases = {
        "image file not found": {"images": [str(tmp_path / "missing.png")]},
        "not a readable image": {"images": [str(broken)]},
        "1 <image> tag but 0 images": {"images": []},
        "1 <image> tag but 2 images": {"images": [str(images[0])] * 2},
    }
    # the Qwen-VL families read videos (tests/vision/test_video.py); the others refuse a row with one
    reads_videos = vision_model.arch.startswith(("qwen2", "qwen3"))
    reason = "video 1: video file not found" if reads_videos else "videos are not read yet"
    cases[reason] = {"images": [str(images[0])], "videos": ["v.mp4"], "content": "<image><video>?"}
    for reason, extra in cases.items():
        content = extra.pop("content", "<image>What is it?")
        with pytest.raises(TemplateError, match=reason):
            template.encode({"messages": [_u(content), _a("x")], **extra})


def test_images_in_every_accepted_form_encode_the_same(vision_model, images):
    import base64

    from PIL import Image
    from transformers import AutoTokenizer

    template = get_template(vision_model.template, AutoTokenizer.from_pretrained(vision_model.path))
    data = images[0].read_bytes()
    forms = [
        str(images[0]),
        "file://" + str(images[0]),
        "data:image/png;base64," + base64.b64encode(data).decode(),
        base64.b64encode(data).decode(),
        {"bytes": data, "path": None},
        data,
        Image.open(images[0]),
    ]
    encoded = [template.encode({"messages": [_u("<image>?"), _a("x")], "images": [form]}) for form in forms]
    for other in encoded[1:]:
        assert other["input_ids"] == encoded[0]["input_ids"]
        assert torch.equal(other["pixel_values"], encoded[0]["pixel_values"])


def test_model_kwargs_max_pixels_is_ms_swifts_environment_setting(vision_model, images, monkeypatch):
    from swift_transformers.vision.loading import media_settings
    from transformers import AutoTokenizer

    from swift.kernel import UsageError

    monkeypatch.setenv("MAX_PIXELS", "0")  # so the test's own setting is undone afterwards
    monkeypatch.delenv("MAX_PIXELS")
    tokenizer = AutoTokenizer.from_pretrained(vision_model.path)
    row = {"messages": [_u("<image>What is it?"), _a("blue")], "images": [str(images[1])]}
    if vision_model.arch in PROCESSOR_SIZED:
        with pytest.raises(UsageError, match="resizes every image to one size"):
            media_settings({"MAX_PIXELS": 1000}, fixed_size=True)
        return
    flag = sum(get_template(vision_model.template, tokenizer, max_pixels=28 * 28 * 8).encode(row)["mm_token_type_ids"])
    assert media_settings({"MAX_PIXELS": 28 * 28 * 8, "attn_implementation": "eager"}) == {
        "attn_implementation": "eager"
    }
    by_env = sum(get_template(vision_model.template, tokenizer).encode(row)["mm_token_type_ids"])
    assert by_env == flag
    with pytest.raises(UsageError, match="videos are not read yet for this model"):
        media_settings({"fps_max_frames": 12})
