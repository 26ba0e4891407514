"""Tiny vision-language checkpoints (built once per session) and images on disk."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from swift_sdk.tiny_vision import TINY_VISION_ARCHS, build_tiny_vision_model

HERE = Path(__file__).parent


def published_template(arch: str) -> str:
    """The published chat template of ``arch`` (Qwen2-VL's for the Qwen family; GLM-4.1V: the SDK's GLM-style one)."""
    if arch in ("idefics3", "smolvlm"):  # the SDK's Idefics3-style one (SmolVLM's adds <|im_start|> first)
        from swift_sdk.tiny_vision import IDEFICS3_VISION_TEMPLATE

        return IDEFICS3_VISION_TEMPLATE
    if arch == "glm4v":
        from swift_sdk.tiny_vision import GLM4V_VISION_TEMPLATE

        return GLM4V_VISION_TEMPLATE
    if arch in (
        "llava",
        "llava_next",
        "llava_onevision",
    ):  # the SDK's LLaVA-1.5-style one (images before the text of each message)
        from swift_sdk.tiny_vision import LLAVA_VISION_TEMPLATE

        return LLAVA_VISION_TEMPLATE
    if arch == "gemma4":  # no published Gemma 4 template offline: the SDK's Gemma-4-style one
        from swift_sdk.tiny_vision import GEMMA4_VISION_TEMPLATE

        return GEMMA4_VISION_TEMPLATE
    if arch == "internvl":  # transformers' InternVL (-hf) template: ChatML, <IMG_CONTEXT> and a newline per image
        from swift_sdk.tiny_vision import INTERNVL_VISION_TEMPLATE

        return INTERNVL_VISION_TEMPLATE
    return PUBLISHED.get(arch, HERE / "chat_templates" / "qwen2_vl.jinja").read_text()


#: Architecture → (swift template, the architecture's own processor class in transformers)
PROCESSORS = {
    "qwen2_vl": ("qwen2_vl", "transformers.models.qwen2_vl.processing_qwen2_vl:Qwen2VLProcessor"),
    "qwen2_5_vl": ("qwen2_vl", "transformers.models.qwen2_5_vl.processing_qwen2_5_vl:Qwen2_5_VLProcessor"),
    "qwen3_vl": ("qwen3_vl", "transformers.models.qwen3_vl.processing_qwen3_vl:Qwen3VLProcessor"),
    "qwen3_vl_moe": ("qwen3_vl", "transformers.models.qwen3_vl.processing_qwen3_vl:Qwen3VLProcessor"),
    "qwen3_5": ("qwen3_vl", "transformers.models.qwen3_vl.processing_qwen3_vl:Qwen3VLProcessor"),
    "gemma3": ("gemma3", "transformers.models.gemma3.processing_gemma3:Gemma3Processor"),
    "glm4v": ("glm4v", "transformers.models.glm4v.processing_glm4v:Glm4vProcessor"),
    "internvl": ("internvl", "transformers.models.internvl.processing_internvl:InternVLProcessor"),
    "gemma4": ("gemma4", "transformers.models.gemma4.processing_gemma4:Gemma4Processor"),
    "llava": ("llava", "transformers.models.llava.processing_llava:LlavaProcessor"),
    "llava_next": ("vision_auto", "transformers.models.llava_next.processing_llava_next:LlavaNextProcessor"),
    "llava_onevision": (
        "vision_auto",
        "transformers.models.llava_onevision.processing_llava_onevision:LlavaOnevisionProcessor",
    ),
    "idefics3": ("vision_auto", "transformers.models.idefics3.processing_idefics3:Idefics3Processor"),
    "smolvlm": ("vision_auto", "transformers.models.smolvlm.processing_smolvlm:SmolVLMProcessor"),
    "mistral3": ("mistral3", "transformers.models.pixtral.processing_pixtral:PixtralProcessor"),
}
#: Architecture → its published chat template (Gemma 3's is the core template tests' fixture)
PUBLISHED = {
    "gemma3": HERE.parents[3] / "tests" / "template" / "chat_templates" / "gemma.jinja",
    "mistral3": HERE / "chat_templates" / "mistral3.jinja",
}


@dataclass(frozen=True)
class VisionCheckpoint:
    arch: str
    path: Path
    template: str
    processor_class: str

    @property
    def published(self) -> str:
        """The chat template the checkpoint was saved with (its family's published one)."""
        return published_template(self.arch)


@pytest.fixture(scope="session", params=TINY_VISION_ARCHS)
def vision_model(request, tmp_path_factory) -> VisionCheckpoint:
    """A tiny checkpoint of each vision-language architecture, with Qwen2-VL's published template."""
    path = tmp_path_factory.mktemp(request.param)
    build_tiny_vision_model(path, request.param, chat_template=published_template(request.param))
    return VisionCheckpoint(request.param, path, *PROCESSORS[request.param])


@pytest.fixture(scope="session")
def qwen2_vl_model(tmp_path_factory) -> Path:
    """The tiny Qwen2-VL checkpoint alone (training and serving tests)."""
    return build_tiny_vision_model(
        tmp_path_factory.mktemp("qwen2_vl"), "qwen2_vl", chat_template=published_template("qwen2_vl")
    )


def make_image(path: Path, size: tuple[int, int], color: tuple[int, int, int]) -> Path:
    """A plain ``size`` (width, height) PNG of ``color`` with a darker square, so patches differ."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, color)
    ImageDraw.Draw(image).rectangle((2, 2, size[0] // 3, size[1] // 3), fill=tuple(c // 2 for c in color))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


@pytest.fixture(scope="session")
def color_dataset(tmp_path_factory) -> Path:
    """A JSONL dataset of 12 rows "<image>What color is it?" → red/blue, images next to it (relative paths)."""
    folder = tmp_path_factory.mktemp("colors")
    rows = []
    for i in range(12):
        name, color = [("red", (220, 30, 30)), ("blue", (30, 30, 220))][i % 2]
        make_image(folder / "images" / f"{i}.png", (56 + 28 * (i % 3), 84), color)
        rows.append(
            {
                "messages": [
                    {"role": "user", "content": "<image>What color is it?"},
                    {"role": "assistant", "content": name},
                ],
                "images": [f"images/{i}.png"],
            }
        )
    path = folder / "train.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def trained_spans(labels: list[int]) -> list[list[int]]:
    """The runs of trained label ids (each reply with its end token), in order."""
    spans: list[list[int]] = [[]]
    for label in labels:
        if label != -100:
            spans[-1].append(label)
        elif spans[-1]:
            spans.append([])
    return [span for span in spans if span]


@pytest.fixture(scope="session")
def spans_of():
    """:func:`trained_spans` for tests."""
    return trained_spans


@pytest.fixture(scope="session")
def image_factory():
    """:func:`make_image` for tests (test modules cannot import this conftest)."""
    return make_image
