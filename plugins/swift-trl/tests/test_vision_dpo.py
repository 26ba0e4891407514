"""DPO on image rows: the images reach the model in both halves of trl's batch, and it learns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch


@pytest.fixture(scope="module")
def vision_pairs(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny Qwen2-VL and 16 "what color" rows with the wrong color as the rejected answer."""
    from PIL import Image

    from swift_sdk.tiny import build_tiny_vision_model

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


def test_dpo_on_images_prefers_the_chosen_color(vision_pairs, rlhf, read_logs, tmp_path):
    from swift.arguments import RLHFArguments

    model, data = vision_pairs
    args = RLHFArguments(
        model=str(model),
        rlhf_type="dpo",
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
    )
    summary = rlhf(args)
    logs = [r for r in read_logs(Path(summary["output_dir"]) / "logging.jsonl") if "rewards/margins" in r]
    assert logs[-1]["rewards/margins"] > logs[0]["rewards/margins"] + 0.1, [r["rewards/margins"] for r in logs]


@pytest.mark.parametrize("method", ["kto", "orpo", "grpo"])
def test_other_methods_on_a_vision_model_stop_before_loading(vision_pairs, method, tmp_path, capsys):
    from swift.cli.main import main

    model, data = vision_pairs
    extra = ["--reward_funcs", "accuracy"] if method == "grpo" else []
    argv = ["rlhf", "--rlhf_type", method, "--model", str(model), "--dataset", str(data), *extra]
    try:
        rc = main([*argv, "--output_dir", str(tmp_path / "o")])
    except SystemExit as exc:
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2 and "only dpo trains on images so far" in err, err
    assert not (tmp_path / "o").exists()
