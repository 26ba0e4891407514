"""DPO, KTO, CPO, SimPO, ORPO and GRPO on image rows: the images reach the model in every pass (rollouts, policy, reference, KL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from swift.kernel import UsageError


@pytest.fixture(scope="module")
def vision_pairs(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny Qwen2-VL and 16 "what color" rows with the wrong color as the rejected answer."""
    from PIL import Image

    from swift_sdk.tiny_vision import build_tiny_vision_model

    folder = tmp_path_factory.mktemp("vision-dpo")
    model = build_tiny_vision_model(folder / "tiny-vl")
    (folder / "images").mkdir()
    rows = []
    for i in range(16):
        name, other, rgb = [("red", "blue", (220, 30, 30)), ("blue", "red", (30, 30, 220))][i % 2]
        Image.new("RGB", (56 + 28 * (i % 2), 56), rgb).save(folder / "images" / f"{i}.png")
        messages = [{"role": "user", "content": "<image>What color is it?"}, {"role": "assistant", "content": name}]
        rows.append({"messages": messages, "rejected_response": other, "images": [f"images/{i}.png"]})
    data = folder / "pairs.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return model, data


def test_the_collated_batch_carries_each_rows_images_for_chosen_and_rejected(vision_pairs):
    from swift_trl.preference.data import encode_preference_dataset
    from swift_trl.preference.trainers import ImagePreferenceCollator
    from transformers import AutoTokenizer

    from swift.arguments import RLHFArguments
    from swift.services import load_datasets
    from swift.template import get_template

    model, data = vision_pairs
    tokenizer = AutoTokenizer.from_pretrained(model)
    args = RLHFArguments(model=str(model), rlhf_type="dpo", dataset=[str(data)], split_dataset_ratio=0.0)
    rows, _ = load_datasets(args)
    encoded = encode_preference_dataset(rows, get_template("qwen2_vl", tokenizer), args, unpaired=False)
    assert {"pixel_values", "image_grid_thw", "mm_token_type_ids"} <= set(encoded.column_names)
    batch = ImagePreferenceCollator(pad_token_id=tokenizer.pad_token_id)([encoded[0], encoded[1]])
    pad = tokenizer.convert_tokens_to_ids("<|image_pad|>")
    image_tokens = (batch["input_ids"] == pad).long()
    assert torch.equal(batch["mm_token_type_ids"], image_tokens)  # the types mark exactly the image tokens
    grid = batch["image_grid_thw"]
    assert grid.shape[0] == 4  # rows 0, 1 for chosen, then again for rejected
    assert int(image_tokens.sum()) == int(grid.prod(-1).sum()) // 4  # merge 2 × 2
    assert batch["pixel_values"].shape[0] == int(grid.prod(-1).sum())


def test_lazily_encoded_pairs_name_their_images_and_the_collator_decodes_the_same_tensors(vision_pairs):
    """``--lazy_tokenize`` (the default for vision models): no pixel tensor in the dataset, equal batches."""
    from swift_trl.preference.data import encode_preference_dataset
    from swift_trl.preference.trainers import ImagePreferenceCollator
    from transformers import AutoTokenizer

    from swift.arguments import RLHFArguments
    from swift.services import load_datasets
    from swift.template import get_template

    model, data = vision_pairs
    tokenizer = AutoTokenizer.from_pretrained(model)
    template = get_template("qwen2_vl", tokenizer)
    rows, _ = load_datasets(
        RLHFArguments(model=str(model), rlhf_type="dpo", dataset=[str(data)], split_dataset_ratio=0)
    )
    encode = {
        lazy: encode_preference_dataset(
            rows, template, RLHFArguments(model=str(model), dataset=[str(data)], lazy_tokenize=lazy), unpaired=False
        )
        for lazy in (False, True)
    }

    assert "pixel_values" not in encode[True].column_names and "lazy_images" in encode[True].column_names
    assert encode[True]["prompt_ids"] == encode[False]["prompt_ids"]
    collate = ImagePreferenceCollator(pad_token_id=tokenizer.pad_token_id, media_template=template)
    eager, lazy = (collate([encode[k][0], encode[k][1]]) for k in (False, True))
    assert set(lazy) == set(eager)
    for key in eager:
        assert torch.equal(torch.as_tensor(lazy[key]), torch.as_tensor(eager[key])), key


# KTO: each pair a desirable and an undesirable row; CPO, SimPO and ORPO: trl's concatenated forward
@pytest.mark.parametrize("method", ["dpo", "kto", "cpo", "simpo", "orpo"])
def test_preference_training_on_images_prefers_the_chosen_color(method, vision_pairs, rlhf, read_logs, tmp_path):
    from swift.arguments import RLHFArguments

    model, data = vision_pairs
    args = RLHFArguments(
        model=str(model),
        rlhf_type=method,
        dataset=[str(data)],
        output_dir=str(tmp_path / "out"),
        max_steps=12,
        save_steps=12,
        logging_steps=1,
        per_device_train_batch_size=4,
        learning_rate=5e-3,
        lora_dropout=0.0,
        split_dataset_ratio=0.0,
        report_to=["none"],
        # ORPO's margin is beta × the log-odds gap and its odds-ratio term is weighted by beta
        # (0.1): at 1.0 the 12 steps move it as far as the others
        **({"beta": 1.0} if method == "orpo" else {}),
    )
    summary = rlhf(args)
    logs = [r for r in read_logs(Path(summary["output_dir"]) / "logging.jsonl") if "rewards/margins" in r]
    assert logs[-1]["rewards/margins"] > logs[0]["rewards/margins"] + 0.1, [r["rewards/margins"] for r in logs]
    assert (Path(summary["output_dir"]) / "checkpoint-12" / "adapter_model.safetensors").is_file()


def test_the_kto_batch_carries_each_rows_images_for_its_sequence_and_its_kl_sequence(vision_pairs):
    from swift_trl.preference.data import encode_preference_dataset
    from swift_trl.preference.trainers import ImageUnpairedCollator, _rotate_completions
    from transformers import AutoTokenizer

    from swift.arguments import RLHFArguments
    from swift.services import load_datasets
    from swift.template import get_template

    model, data = vision_pairs
    tokenizer = AutoTokenizer.from_pretrained(model)
    args = RLHFArguments(model=str(model), rlhf_type="kto", dataset=[str(data)], split_dataset_ratio=0.0)
    rows, _ = load_datasets(args)
    encoded = encode_preference_dataset(rows, get_template("qwen2_vl", tokenizer), args, unpaired=True)
    assert len(encoded) == 32 and [encoded[0]["label"], encoded[1]["label"]] == [True, False]
    examples = list(encoded.select(range(3)).map(_rotate_completions, batched=True, batch_size=3))
    batch = ImageUnpairedCollator(pad_token_id=tokenizer.pad_token_id)(examples)
    pad = tokenizer.convert_tokens_to_ids("<|image_pad|>")
    for prefix in ("", "KL_"):  # the types mark exactly the image tokens of both sequences
        assert torch.equal(batch[f"{prefix}mm_token_type_ids"], (batch[f"{prefix}input_ids"] == pad).long())
    assert batch["image_grid_thw"].shape[0] == 3  # one image per row, in row order
    assert int((batch["input_ids"] == pad).sum()) == int(batch["image_grid_thw"].prod(-1).sum()) // 4


def test_grpo_on_images_passes_each_prompts_images_to_rollouts_and_to_the_loss(vision_pairs, rlhf, tmp_path):
    from swift.arguments import RLHFArguments

    model, data = vision_pairs
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(
        "\n".join(
            json.dumps(
                {
                    "messages": r["messages"][:1],
                    "images": [str(data.parent / r["images"][0])],
                    "solution": r["messages"][1]["content"],
                }
            )
            for r in rows
        )
        + "\n"
    )
    args = RLHFArguments(
        model=str(model),
        rlhf_type="grpo",
        dataset=[str(prompts)],
        reward_funcs=["accuracy"],
        num_generations=2,
        max_completion_length=4,
        output_dir=str(tmp_path / "out"),
        max_steps=2,
        save_steps=2,
        logging_steps=1,
        per_device_train_batch_size=2,
        split_dataset_ratio=0.0,
        report_to=["none"],
        log_completions=True,
    )
    summary = rlhf(args)
    assert summary["global_step"] == 2
    packed = {"padding_free": True, "output_dir": str(tmp_path / "packed")}
    with pytest.raises(UsageError, match="--padding_free: GRPO on vision-language model type 'qwen2_vl'"):
        rlhf(RLHFArguments(**{**vars_of(args), **packed}))


def vars_of(args) -> dict:
    import dataclasses

    names = {f.name for f in dataclasses.fields(args) if f.init}
    return {k: v for k, v in vars(args).items() if k in names}


def test_a_grpo_sample_carries_its_prompts_image_inputs(vision_pairs):
    from swift_transformers.engine.pt import PtEngine
    from swift_trl.grpo.sampling import GroupSampler
    from transformers import AutoTokenizer

    from swift.arguments import InferArguments
    from swift.protocol import RequestConfig
    from swift.template import get_template

    model, data = vision_pairs
    tokenizer = AutoTokenizer.from_pretrained(model)
    engine = PtEngine(InferArguments(model=str(model)))
    sampler = GroupSampler(engine, get_template("qwen2_vl", tokenizer), 2, RequestConfig(max_tokens=3, temperature=1.0))
    row = json.loads(data.read_text().splitlines()[0])
    row = {"messages": row["messages"][:1], "images": [str(data.parent / row["images"][0])]}
    samples = sampler.sample([row])
    pad = tokenizer.convert_tokens_to_ids("<|image_pad|>")
    for sample in samples:
        types = sample.media["mm_token_type_ids"]
        assert len(types) == len(sample.input_ids)
        assert [int(t == pad) for t in sample.input_ids] == types
        assert int(sample.media["image_grid_thw"].prod()) // 4 == sum(types)


def test_dpo_on_video_rows_learns_what_only_the_videos_tell(tmp_path, rlhf, read_logs, monkeypatch):
    """Bright clips prefer "bright", dark ones "dark": only a model that sees the videos can raise the margin."""

    from swift.arguments import RLHFArguments
    from swift_sdk.tiny_vision import build_tiny_vision_model

    monkeypatch.setenv("VIDEO_MIN_PIXELS", str(4 * 28 * 28))
    monkeypatch.setenv("VIDEO_MAX_PIXELS", str(4 * 28 * 28))
    model = build_tiny_vision_model(tmp_path / "tiny-vl")
    rows = []
    for i in range(16):
        bright = i % 2 == 1
        _clip(tmp_path / "clips" / f"{i}.mp4", 230 if bright else 20)
        name, other = ("bright", "dark") if bright else ("dark", "bright")
        messages = [{"role": "user", "content": "<video>Is it bright?"}, {"role": "assistant", "content": name}]
        rows.append({"messages": messages, "rejected_response": other, "videos": [f"clips/{i}.mp4"]})
    data = tmp_path / "pairs.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    args = RLHFArguments(
        model=str(model), rlhf_type="dpo", dataset=[str(data)], output_dir=str(tmp_path / "out"), max_steps=12,
        save_steps=12, logging_steps=1, per_device_train_batch_size=4, learning_rate=5e-3, lora_dropout=0.0,
        split_dataset_ratio=0.0, report_to=["none"],
    )  # fmt: skip
    summary = rlhf(args)
    logs = [r for r in read_logs(Path(summary["output_dir"]) / "logging.jsonl") if "rewards/margins" in r]
    assert logs[-1]["rewards/margins"] > logs[0]["rewards/margins"] + 0.1, [r["rewards/margins"] for r in logs]


def _clip(path: Path, level: int, frames: int = 4) -> Path:
    """A 56 × 56 MPEG-4 clip of ``frames`` frames of one grey ``level``."""
    import av
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=4)
        stream.width, stream.height, stream.pix_fmt = 56, 56, "yuv420p"
        for _ in range(frames):
            pixels = np.full((56, 56, 3), level, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_grpo_rollouts_and_the_loss_get_each_prompts_video(vision_pairs, rlhf, tmp_path, monkeypatch):
    from swift_transformers.engine.pt import PtEngine
    from swift_trl.grpo.sampling import GroupSampler
    from transformers import AutoTokenizer

    from swift.arguments import InferArguments, RLHFArguments
    from swift.protocol import RequestConfig
    from swift.template import get_template

    monkeypatch.setenv("VIDEO_MIN_PIXELS", str(4 * 28 * 28))
    monkeypatch.setenv("VIDEO_MAX_PIXELS", str(4 * 28 * 28))
    model, _ = vision_pairs
    rows = []
    for i in range(4):
        clip = _clip(tmp_path / "clips" / f"{i}.mp4", 230 if i % 2 else 20)
        messages = [{"role": "user", "content": "<video>Is it bright?"}]
        rows.append({"messages": messages, "videos": [str(clip)], "solution": "bright" if i % 2 else "dark"})
    tokenizer = AutoTokenizer.from_pretrained(model)
    engine = PtEngine(InferArguments(model=str(model)))
    sampler = GroupSampler(engine, get_template("qwen2_vl", tokenizer), 2, RequestConfig(max_tokens=3, temperature=1.0))
    video_pad = tokenizer.convert_tokens_to_ids("<|video_pad|>")
    for sample in sampler.sample([{k: rows[0][k] for k in ("messages", "videos")}]):
        assert [2 if t == video_pad else 0 for t in sample.input_ids] == sample.media["mm_token_type_ids"]
        assert int(sample.media["video_grid_thw"].prod()) // 4 == sample.input_ids.count(video_pad) > 0
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = RLHFArguments(
        model=str(model), rlhf_type="grpo", dataset=[str(prompts)], reward_funcs=["accuracy"], num_generations=2,
        max_completion_length=4, output_dir=str(tmp_path / "out"), max_steps=2, save_steps=2, logging_steps=1,
        per_device_train_batch_size=2, split_dataset_ratio=0.0, report_to=["none"],
    )  # fmt: skip
    assert rlhf(args)["global_step"] == 2
