"""Resuming: a full resume continues the run; ``--resume_only_model`` starts a new one from the weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def _state(checkpoint) -> dict:
    return json.loads((Path(checkpoint) / "trainer_state.json").read_text())


@pytest.mark.parametrize("train_type", ["lora", "full"])
def test_resume_from_checkpoint_continues_steps_in_the_same_run_folder(train_args, sft, loss_logs, train_type):
    first = sft(train_args(train_type=train_type, max_steps=3, save_steps=3))
    checkpoint = first["last_model_checkpoint"]

    resumed = sft(train_args(train_type=train_type, max_steps=6, save_steps=3, resume_from_checkpoint=checkpoint))

    assert resumed["output_dir"] == first["output_dir"]
    assert resumed["global_step"] == 6
    assert resumed["last_model_checkpoint"] == str(Path(first["output_dir"]) / "checkpoint-6")
    assert _state(resumed["last_model_checkpoint"])["global_step"] == 6
    assert [r["global_step"] for r in loss_logs(first["output_dir"])] == [1, 2, 3, 4, 5, 6]
    assert len(list(Path(first["output_dir"]).parent.iterdir())) == 1  # no second version folder


def test_resume_only_model_starts_a_new_run_from_the_trained_weights(train_args, sft, loss_logs):
    first = sft(train_args(max_steps=8, save_steps=8))
    first_losses = [r["loss"] for r in loss_logs(first["output_dir"])]

    again = sft(
        train_args(
            max_steps=2,
            save_steps=2,
            resume_from_checkpoint=first["last_model_checkpoint"],
            resume_only_model=True,
        )
    )

    assert again["output_dir"] != first["output_dir"]
    assert [r["global_step"] for r in loss_logs(again["output_dir"])] == [1, 2]
    assert again["last_model_checkpoint"].endswith("checkpoint-2")
    # it starts where the first run ended, not from the untrained model
    assert loss_logs(again["output_dir"])[0]["loss"] < first_losses[0] - 0.2


def test_resuming_from_a_folder_without_trainer_state_explains_the_choice(train_args, sft, tmp_path):
    from swift.kernel import UsageError

    weights_only = tmp_path / "weights"
    weights_only.mkdir()
    (weights_only / "adapter_config.json").write_text("{}")
    (weights_only / "adapter_model.safetensors").write_bytes(b"")
    with pytest.raises(UsageError, match="lacks trainer_state.json; add --resume_only_model"):
        sft(train_args(resume_from_checkpoint=str(weights_only)))


@pytest.mark.parametrize("only_model", [False, True])
def test_resuming_from_a_broken_checkpoint_names_what_it_lacks(train_args, sft, tmp_path, only_model):
    from swift.kernel import UsageError

    first = sft(train_args(max_steps=1, save_steps=1, output_dir=str(tmp_path / "first")))
    broken = Path(first["last_model_checkpoint"])
    (broken / "adapter_model.safetensors").unlink()
    runs_before = sorted(p.name for p in (tmp_path / "first").iterdir())

    with pytest.raises(UsageError, match=r"checkpoint is incomplete, it lacks adapter weights"):
        sft(train_args(resume_from_checkpoint=str(broken), resume_only_model=only_model))
    assert sorted(p.name for p in (tmp_path / "first").iterdir()) == runs_before  # no run folder made
