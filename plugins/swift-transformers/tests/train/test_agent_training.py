"""Agent data in training: tool rows, --tools_prompt and --loss_scale change what is trained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from swift.template.check import WEATHER_TOOL

WEATHER = WEATHER_TOOL
CITIES = ["Paris", "Rome", "Oslo", "Lima", "Cairo", "Tokyo", "Quito", "Dakar"]


def write_agent_rows(path: Path) -> Path:
    """OpenAI-style tool rows (half of them ms-swift's tool_call / tool_response form)."""
    with path.open("w", encoding="utf-8") as fh:
        for i, city in enumerate(CITIES * 2):
            call = {"name": "get_weather", "arguments": {"city": city}}
            if i % 2:
                middle = [
                    {"role": "tool_call", "content": json.dumps(call)},
                    {"role": "tool_response", "content": f"{10 + i}C"},
                ]
            else:
                middle = [
                    {"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": call}]},
                    {"role": "tool", "content": f"{10 + i}C"},
                ]
            messages = [
                {"role": "user", "content": f"What is the weather in {city}?"},
                *middle,
                {"role": "assistant", "content": f"Thought: I know it.\nFinal Answer: {10 + i}C in {city}."},
            ]
            fh.write(json.dumps({"tools": [WEATHER], "messages": messages}) + "\n")
    return path


@pytest.fixture(scope="module")
def agent_file(tmp_path_factory) -> str:
    return str(write_agent_rows(tmp_path_factory.mktemp("agent") / "agent.jsonl"))


def _first_loss(train_args, sft, loss_logs, tmp_path, name, **overrides) -> float:
    args = train_args(output_dir=str(tmp_path / name), max_steps=1, save_steps=1, **overrides)
    torch.manual_seed(0)
    summary = sft(args)
    return loss_logs(summary["output_dir"])[0]["loss"]


def test_tools_prompt_and_loss_scale_change_the_loss(train_args, sft, loss_logs, agent_file, tmp_path):
    common = {"dataset": [agent_file], "per_device_train_batch_size": 4, "data_seed": 0, "seed": 0}
    react = _first_loss(train_args, sft, loss_logs, tmp_path, "react", tools_prompt="react_en", **common)
    bench = _first_loss(train_args, sft, loss_logs, tmp_path, "bench", tools_prompt="toolbench", **common)
    weighted = _first_loss(
        train_args, sft, loss_logs, tmp_path, "weighted", tools_prompt="react_en", loss_scale="react", **common
    )
    assert react != pytest.approx(bench, abs=1e-4)  # different prompts and trained text
    assert weighted > react * 1.05  # Action / Action Input tokens count double


def test_the_loss_scale_loss_is_the_weighted_mean_of_token_losses(tiny_model_dir):
    from swift_transformers.train.losses import token_losses
    from swift_transformers.train.trainer import weighted_loss
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    torch.manual_seed(0)
    input_ids = torch.randint(10, 1000, (2, 10))
    labels = input_ids.clone()
    labels[:, :4] = -100
    scale = torch.ones(2, 10)
    scale[:, :4] = 0
    scale[0, 6:8] = 2.0
    with torch.no_grad():
        logits = model(input_ids=input_ids).logits
    losses, mask = token_losses(logits, labels)
    expected = (losses * scale[:, 1:] * mask).sum() / mask.sum()
    assert torch.allclose(weighted_loss(logits, labels, scale), expected)
    # all weights 1: the plain mean cross-entropy
    plain = weighted_loss(logits, labels, torch.ones(2, 10))
    assert torch.allclose(plain, (losses * mask).sum() / mask.sum())


def test_packed_rows_keep_the_weights_aligned():
    from swift_transformers.train.collator import PaddingCollator, pack_samples

    row = pack_samples(
        [
            {"input_ids": [1, 2, 3], "labels": [-100, 2, 3], "loss_scale": [0.0, 2.0, 1.0]},
            {"input_ids": [4, 5], "labels": [-100, 5], "loss_scale": [0.0, 0.5]},
        ]
    )
    assert row["loss_scale"] == [0.0, 2.0, 1.0, 0.0, 0.5]
    short = pack_samples([{"input_ids": [6, 7], "labels": [-100, 7], "loss_scale": [0.0, 3.0]}])
    batch = PaddingCollator(pad_token_id=0)([row, short])
    assert batch["loss_scale"].tolist() == [[0.0, 2.0, 1.0, 0.0, 0.5], [0.0, 3.0, 0.0, 0.0, 0.0]]


def test_sft_warns_when_the_first_rows_encode_differently_from_the_models_template(train_args, sft, tmp_path, capsys):
    # the tiny checkpoint is a qwen3 model whose tokenizer ships plain ChatML: qwen3's empty think block differs
    sft(train_args(output_dir=str(tmp_path / "qwen3"), max_steps=1, save_steps=1))
    err = capsys.readouterr().err
    assert "WARNING: row 1 of the training data encodes differently with template 'qwen3'" in err
    assert "swift template check --model" in err
    sft(train_args(output_dir=str(tmp_path / "chatml"), max_steps=1, save_steps=1, template="chatml"))
    assert "encodes differently" not in capsys.readouterr().err
