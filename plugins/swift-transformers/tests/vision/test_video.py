"""Videos (Qwen2-VL, Qwen2.5-VL, Qwen3-VL): decoding with PyAV, frame sampling, tensors, training, serving."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import torch

# small frames so the tiny models see few tokens: 4 … 16 tokens of 28 × 28 pixels per frame
SMALL = {"VIDEO_MIN_PIXELS": str(4 * 28 * 28), "VIDEO_MAX_PIXELS": str(16 * 28 * 28)}


def write_video(path: Path, frames: int = 20, fps: int = 10, size: tuple[int, int] = (96, 64), shift: int = 0) -> Path:
    """An MPEG-4 file of ``frames`` frames at ``fps``: a colour ramp with a square moving right."""
    import av
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(frames):
            pixels = np.zeros((size[1], size[0], 3), np.uint8)
            pixels[..., (shift % 3)] = 40 + i * 8
            pixels[8:24, 4 + 3 * i : 20 + 3 * i] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(autouse=True)
def small_frames(monkeypatch):
    for name, value in SMALL.items():
        monkeypatch.setenv(name, value)
    for name in ("FPS", "FPS_MIN_FRAMES", "FPS_MAX_FRAMES", "NFRAMES", "VIDEO_TOTAL_PIXELS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def qwen2_5_vl_model(tmp_path_factory) -> Path:
    from swift_sdk.tiny_vision import build_tiny_vision_model

    return build_tiny_vision_model(tmp_path_factory.mktemp("qwen2_5_vl"), "qwen2_5_vl")


@pytest.fixture(scope="session")
def video_dataset(tmp_path_factory) -> Path:
    """8 rows "<video>Which way does it move?" → left/right, the videos next to the file (relative paths)."""
    folder = tmp_path_factory.mktemp("videos")
    rows = []
    for i in range(8):
        write_video(folder / "clips" / f"{i}.mp4", frames=12 + 2 * i, shift=i)
        answer = "right" if i % 2 else "left"
        messages = [{"role": "user", "content": "<video>Which way does it move?"}, _a(answer)]
        rows.append({"messages": messages, "videos": [f"clips/{i}.mp4"]})
    path = folder / "videos.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _a(text: str) -> dict:
    return {"role": "assistant", "content": text}


def _template(model_dir: Path):
    return _template_named(model_dir, "qwen2_vl")


def _template_named(model_dir: Path, name: str):
    from transformers import AutoTokenizer

    from swift.template import get_template

    return get_template(name, AutoTokenizer.from_pretrained(model_dir))


def _frames():
    from PIL import Image, ImageDraw

    a = Image.new("RGB", (90, 60), (200, 40, 40))
    ImageDraw.Draw(a).rectangle((2, 2, 30, 20), fill=(20, 200, 20))
    b = Image.new("RGB", (90, 60), (40, 40, 200))
    ImageDraw.Draw(b).rectangle((40, 30, 80, 50), fill=(220, 220, 20))
    return a, b


def test_a_video_of_paired_frames_is_the_image_processors_patches_frame_pair_by_pair(qwen2_vl_model):
    """Qwen2-VL's image processor repeats an image over the temporal patch: frames A A B B are images A, B."""
    from swift_transformers.vision.processors import image_processor

    a, b = _frames()
    template = _template(qwen2_vl_model)
    row = {
        "messages": [{"role": "user", "content": "<video>What happens?"}, _a("it turns blue")],
        "videos": [[a, a, b, b]],
    }
    encoded = template.encode(row)
    reference = image_processor(str(qwen2_vl_model))(
        images=[a, b], size={"shortest_edge": 4 * 28 * 28, "longest_edge": 16 * 28 * 28}, return_tensors="pt"
    )
    assert encoded["video_grid_thw"].tolist() == [[2, *reference["image_grid_thw"][0, 1:].tolist()]]
    assert torch.equal(encoded["pixel_values_videos"], reference["pixel_values"])
    video_pad = template.tokenizer.convert_tokens_to_ids("<|video_pad|>")
    tokens = sum(t == video_pad for t in encoded["input_ids"])
    assert tokens == int(reference["image_grid_thw"].prod(-1).sum()) // 4  # merge 2 × 2
    assert [k for k, t in zip(encoded["input_ids"], encoded["mm_token_type_ids"]) if t] == [video_pad] * tokens
    assert set(encoded["mm_token_type_ids"]) == {0, 2}  # video tokens are 2, as the processor marks them
    text = template.tokenizer.decode(encoded["input_ids"])
    assert "<|vision_start|><|video_pad|>" in text and "<|video_pad|><|vision_end|>What happens?" in text
    assert all(label == -100 for label, t in zip(encoded["labels"], encoded["mm_token_type_ids"]) if t)


def test_frames_are_sampled_by_fps_and_bounded_by_the_settings(qwen2_vl_model, tmp_path, monkeypatch):
    from swift_transformers.vision.loading import media_settings

    clip = write_video(tmp_path / "clip.mp4", frames=20, fps=10)  # 2 seconds
    template = _template(qwen2_vl_model)
    row = {"messages": [{"role": "user", "content": "<video>?"}, _a("x")], "videos": [str(clip)]}
    assert template.encode(row)["video_grid_thw"][0, 0] == 2  # FPS 2 → 4 frames → 2 temporal patches
    monkeypatch.setenv("FPS", "5")
    assert template.encode(row)["video_grid_thw"][0, 0] == 5  # 10 frames
    assert media_settings({"FPS_MAX_FRAMES": 6, "fps": 5}, videos=True) == {}  # ms-swift's --model_kwargs
    assert template.encode(row)["video_grid_thw"][0, 0] == 3
    monkeypatch.setenv("NFRAMES", "2")
    one = template.encode(row)
    assert one["video_grid_thw"][0, 0] == 1
    monkeypatch.setenv("VIDEO_MAX_PIXELS", str(4 * 28 * 28))
    smaller = template.encode(row)
    assert smaller["video_grid_thw"][0, 1:].prod() < one["video_grid_thw"][0, 1:].prod()
    assert len(smaller["input_ids"]) < len(one["input_ids"])


def test_qwen2_5_vl_gets_the_seconds_per_temporal_patch_and_both_models_run_on_videos(
    qwen2_vl_model, qwen2_5_vl_model, tmp_path
):
    from transformers import AutoModelForImageTextToText

    clip = write_video(tmp_path / "clip.mp4", frames=20, fps=10)
    row = {"messages": [{"role": "user", "content": "<video>Where?<image>"}, _a("here")], "videos": [str(clip)]}
    row["images"] = [_frames()[0]]
    for model_dir, seconds in ((qwen2_vl_model, None), (qwen2_5_vl_model, 2 / 2.0)):
        encoded = _template(model_dir).encode(row)
        assert set(encoded["mm_token_type_ids"]) == {0, 1, 2}
        if seconds is None:
            assert "second_per_grid_ts" not in encoded  # Qwen2-VL's forward takes none
        else:
            assert encoded["second_per_grid_ts"].tolist() == [pytest.approx(seconds)]  # 2 frames at 2 fps
        batch = {k: v if torch.is_tensor(v) else torch.tensor([v]) for k, v in encoded.items()}
        model = AutoModelForImageTextToText.from_pretrained(model_dir)
        assert torch.isfinite(model(**batch).loss)


def test_bad_videos_say_what_is_wrong(qwen2_vl_model, tmp_path):
    from swift.template import TemplateError

    template = _template(qwen2_vl_model)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    cases = {
        "video file not found": {"videos": [str(tmp_path / "missing.mp4")]},
        "not a readable video": {"videos": [str(broken)]},
        "1 <video> tag but 0 videos": {"videos": []},
    }
    for reason, extra in cases.items():
        with pytest.raises(TemplateError, match=reason):
            template.encode({"messages": [{"role": "user", "content": "<video>?"}, _a("x")], **extra})
    # an engine that runs the model's processor itself (vLLM) is not handed videos yet: said, not dropped
    with pytest.raises(TemplateError, match="videos are not handed to an engine"):
        template.encode_prompt_media([{"role": "user", "content": "<video>?"}], videos=[str(broken)])


def test_lora_trains_on_video_rows_drops_a_bad_one_and_padding_free_gives_the_same_losses(
    qwen2_vl_model, video_dataset, tmp_path, caplog
):
    from swift.arguments import TrainArguments
    from swift.llm import sft_main

    rows = video_dataset.read_text().splitlines()
    bad = {"messages": [{"role": "user", "content": "<video>?"}, _a("x")], "videos": ["clips/missing.mp4"]}
    mixed = video_dataset.parent / "mixed.jsonl"
    mixed.write_text("\n".join(rows + [json.dumps(bad)]) + "\n")

    def run(name: str, **extra) -> list[float]:
        args = TrainArguments(
            model=str(qwen2_vl_model), dataset=[str(mixed)], output_dir=str(tmp_path / name), max_steps=3,
            learning_rate=5e-3, logging_steps=1, save_steps=3, split_dataset_ratio=0.0, lora_dropout=0.0,
            per_device_train_batch_size=2, lazy_tokenize=False, report_to=["none"], seed=3, **extra,
        )  # fmt: skip
        result = sft_main(args)
        logs = Path(result["output_dir"]) / "logging.jsonl"
        return [json.loads(line)["loss"] for line in logs.read_text().splitlines() if '"loss"' in line]

    with caplog.at_level("WARNING"):
        padded = run("padded")
    assert "dropped 1 of 9" in caplog.text and "video 1: video file not found" in caplog.text
    free = run("free", padding_free=True)
    assert len(padded) == 3 and all(torch.isfinite(torch.tensor(padded)))
    assert free == pytest.approx(padded, abs=1e-3)  # each sample's own 3-D positions in the packed row


def test_swift_infer_answers_video_rows(qwen2_5_vl_model, video_dataset, tmp_path):
    from swift.arguments import InferArguments
    from swift.llm import infer_main

    result = tmp_path / "answers.jsonl"
    infer_main(
        InferArguments(
            model=str(qwen2_5_vl_model), val_dataset=[str(video_dataset)], max_new_tokens=3, result_path=str(result)
        )
    )
    answers = [json.loads(line) for line in result.read_text().splitlines()]
    assert len(answers) == 8 and all(a["videos"][0].endswith(".mp4") and a["response"] is not None for a in answers)


def test_swift_deploy_answers_the_openai_client_with_a_video_part(qwen2_vl_model, tmp_path):
    from openai import BadRequestError, OpenAI

    from swift_sdk.cli import swift_server

    clip = write_video(tmp_path / "clip.mp4", frames=8, fps=4)
    url = "data:video/mp4;base64," + base64.b64encode(clip.read_bytes()).decode()
    with swift_server("deploy", "--model", str(qwen2_vl_model), log_path=tmp_path / "deploy.log", env=SMALL) as base:
        client = OpenAI(base_url=f"{base}/v1", api_key="none")
        parts = [{"type": "video_url", "video_url": {"url": url}}, {"type": "text", "text": "Which way?"}]
        model = client.models.list().data[0].id
        reply = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": parts}],
            max_tokens=3,
            temperature=0,
        )
        assert reply.choices[0].message.content is not None
        assert reply.usage.prompt_tokens > 20  # the video's tokens are in the prompt
        bad = [{"type": "video_url", "video_url": {"url": "data:video/mp4;base64,AAAA"}}]
        with pytest.raises(BadRequestError, match="not a readable video"):
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": bad}], max_tokens=2)


@pytest.fixture(scope="session")
def qwen3_vl_model(tmp_path_factory) -> Path:
    from swift_sdk.tiny_vision import build_tiny_vision_model

    return build_tiny_vision_model(tmp_path_factory.mktemp("qwen3_vl"), "qwen3_vl")


def test_qwen3_vl_writes_each_temporal_patch_after_its_time_as_its_processor_does(
    qwen3_vl_model, tmp_path, monkeypatch
):
    """The reference is Qwen3VLProcessor's own replace_video_token on our grid and the sampled frames' metadata."""
    from types import SimpleNamespace

    from swift_transformers.vision.processors import image_processor
    from transformers.models.qwen3_vl.processing_qwen3_vl import Qwen3VLProcessor
    from transformers.processing_utils import ProcessorMixin

    clip = write_video(tmp_path / "clip.mp4", frames=20, fps=10)  # FPS 2 → frames 0, 6, 13, 19
    template = _template_named(qwen3_vl_model, "qwen3_vl")
    row = {"messages": [{"role": "user", "content": "<video>What moves?"}, _a("a square")], "videos": [str(clip)]}
    encoded = template.encode(row)
    lookup = ProcessorMixin.get_possibly_dynamic_module

    def without_video(name):  # no torchvision: the video processor class cannot be looked up
        return object if "VideoProcessor" in name else lookup(name)

    monkeypatch.setattr(ProcessorMixin, "get_possibly_dynamic_module", staticmethod(without_video))
    processor = Qwen3VLProcessor(
        image_processor=image_processor(str(qwen3_vl_model)),
        tokenizer=template.tokenizer,
        video_processor=SimpleNamespace(merge_size=2, temporal_patch_size=2),  # its config's values
    )
    metadata = SimpleNamespace(frames_indices=[0, 6, 13, 19], fps=10.0)
    expected = processor.replace_video_token(
        {"video_grid_thw": encoded["video_grid_thw"], "video_metadata": [metadata]}, 0
    )
    assert expected.startswith("<0.3 seconds><|vision_start|>") and "<1.6 seconds>" in expected
    assert expected + "What moves?" in template.tokenizer.decode(encoded["input_ids"])
    assert encoded["video_grid_thw"][0, 0] == 2


def test_qwen3_vl_trains_on_videos_padding_free_as_padded(qwen3_vl_model, video_dataset, tmp_path):
    from swift.arguments import TrainArguments
    from swift.llm import sft_main

    def run(name: str, **extra) -> list[float]:
        args = TrainArguments(
            model=str(qwen3_vl_model), dataset=[str(video_dataset)], output_dir=str(tmp_path / name), max_steps=2,
            learning_rate=5e-3, logging_steps=1, save_steps=2, split_dataset_ratio=0.0, lora_dropout=0.0,
            per_device_train_batch_size=2, lazy_tokenize=False, report_to=["none"], seed=3, **extra,
        )  # fmt: skip
        logs = Path(sft_main(args)["output_dir"]) / "logging.jsonl"
        return [json.loads(line)["loss"] for line in logs.read_text().splitlines() if '"loss"' in line]

    padded = run("padded")
    assert len(padded) == 2 and all(torch.isfinite(torch.tensor(padded)))
    assert run("free", padding_free=True) == pytest.approx(padded, abs=1e-3)  # split grids, one per patch


def test_a_stream_that_does_not_say_its_length_is_counted_first_and_sampled_the_same(tmp_path):
    """A raw MPEG-4 stream holds no frame count: a first pass counts, the second keeps only the sampled frames."""
    import av
    import numpy as np
    from swift_transformers.vision.video import VideoSettings, load_video

    path = tmp_path / "raw.m4v"
    with av.open(str(path), "w", format="m4v") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(20):
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.full((32, 32, 3), i * 10, np.uint8), "rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    with av.open(str(path)) as probe:
        assert probe.streams.video[0].frames == 0
    video = load_video(str(path), VideoSettings(nframes=4))
    levels = [video.frames[k].getpixel((16, 16))[0] for k in range(4)]
    assert levels == pytest.approx([0, 60, 130, 190], abs=6)  # frames 0, 6, 13, 19 of 20
