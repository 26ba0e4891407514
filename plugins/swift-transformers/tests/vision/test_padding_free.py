"""Padding-free rows of image samples: the same loss as padded batches, each sample with its own 3-D positions."""

from __future__ import annotations

import json

import pytest
import torch


@pytest.mark.parametrize("arch", ["qwen2_vl", "qwen2_5_vl", "qwen3_vl", "glm4v"])
def test_a_padding_free_row_gives_the_padded_batch_loss(arch, color_dataset, tmp_path, image_factory):
    from swift_transformers.train.collator import PaddingCollator, PaddingFreeCollator
    from swift_transformers.train.varlen import use_packed_attention
    from swift_transformers.vision.packing import packed_positions
    from transformers import AutoModelForImageTextToText, AutoTokenizer

    from swift.template import get_template
    from swift_sdk.tiny_vision import build_tiny_vision_model

    path = build_tiny_vision_model(tmp_path / arch, arch)
    tokenizer = AutoTokenizer.from_pretrained(path)
    template = get_template({"glm4v": "glm4v", "qwen3_vl": "qwen3_vl"}.get(arch, "qwen2_vl"), tokenizer)
    rows = [json.loads(line) for line in color_dataset.read_text().splitlines()[:3]]
    for row in rows:
        row["images"] = [str(color_dataset.parent / p) for p in row["images"]]
    big = image_factory(tmp_path / "big.png", (140, 84), (10, 200, 10))
    rows.append(
        {
            "messages": [{"role": "user", "content": "Two: <image> and <image>"}, rows[0]["messages"][1]],
            "images": [str(big), rows[1]["images"][0]],
        }
    )
    rows.append({"messages": [{"role": "user", "content": "no image"}, {"role": "assistant", "content": "fine"}]})
    encoded = [template.encode(r) for r in rows]
    model = AutoModelForImageTextToText.from_pretrained(path, attn_implementation="sdpa").eval()
    padded = PaddingCollator(tokenizer.pad_token_id)(encoded)
    with torch.no_grad():
        logits = model(**{k: v for k, v in padded.items() if k != "labels"}).logits
    labels = padded["labels"][:, 1:]
    expected = torch.nn.functional.cross_entropy(logits[:, :-1].transpose(1, 2), labels, ignore_index=-100)

    row = PaddingFreeCollator(tokenizer.pad_token_id)(encoded)
    assert "attention_mask" not in row and row["input_ids"].shape[0] == 1
    row["position_ids"] = packed_positions(model, row)
    assert row["position_ids"].shape == (4, 1, row["input_ids"].shape[1])
    use_packed_attention(model)
    with torch.no_grad():
        packed = model(**{k: v for k, v in row.items() if k != "labels"}).logits
    loss = torch.nn.functional.cross_entropy(packed[0, :-1], row["labels"][0, 1:], ignore_index=-100)
    assert abs(loss.item() - expected.item()) < 1e-3, (loss.item(), expected.item())


def test_sft_with_padding_free_trains_on_image_rows(qwen2_vl_model, color_dataset, tmp_path, capsys):
    from swift.arguments import TrainArguments
    from swift.llm import sft_main

    summary = sft_main(
        TrainArguments(
            model=str(qwen2_vl_model),
            dataset=[str(color_dataset)],
            output_dir=str(tmp_path / "out"),
            padding_free=True,
            max_steps=2,
            per_device_train_batch_size=4,
            split_dataset_ratio=0.0,
            report_to=["none"],
        )
    )
    assert summary["global_step"] == 2 and summary["train_loss"] > 0
    assert "padding-free rows: attention" in capsys.readouterr().err


def test_packing_image_rows_gives_the_padded_loss(qwen2_vl_model, color_dataset, tmp_path, capsys):
    """``--packing`` on a Qwen-VL model: samples and their images packed into one row, lazily or up front."""
    from swift.arguments import TrainArguments
    from swift.llm import sft_main

    rows = [json.loads(line) for line in color_dataset.read_text().splitlines()[:5]]
    for row in rows:
        row["images"] = [str(color_dataset.parent / p) for p in row["images"]]
    rows.append({"messages": [{"role": "user", "content": "no image"}, {"role": "assistant", "content": "fine"}]})
    data = tmp_path / "six.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def first_loss(name: str, **flags) -> float:
        summary = sft_main(
            TrainArguments(
                model=str(qwen2_vl_model), dataset=[str(data)], output_dir=str(tmp_path / name), max_steps=1,
                lora_dropout=0.0, split_dataset_ratio=0.0, report_to=["none"], logging_steps=1, **flags,
            )
        )  # fmt: skip
        return summary["log_history"][0]["loss"]

    padded = first_loss("padded", per_device_train_batch_size=6)
    # lazy_tokenize (the default for vision models): planned from lengths, images decoded per packed row
    packed = first_loss("packed", packing=True, max_length=1024, per_device_train_batch_size=1)
    eager = first_loss("eager", packing=True, lazy_tokenize=False, max_length=1024, per_device_train_batch_size=1)

    assert capsys.readouterr().err.count("packed 6 samples into 1 rows") == 2
    assert abs(packed - padded) < 1e-3 and abs(eager - padded) < 1e-3, (packed, eager, padded)
