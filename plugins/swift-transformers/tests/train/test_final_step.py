"""Every run ends with a checkpoint of its last step, as in ms-swift."""

import os


def test_last_step_is_saved_even_when_save_steps_do_not_divide_it(train_args, sft):
    result = sft(train_args(max_steps=5, save_steps=3))
    checkpoints = sorted(os.listdir(result["output_dir"]))
    assert "checkpoint-3" in checkpoints and "checkpoint-5" in checkpoints
    assert result["last_model_checkpoint"].endswith("checkpoint-5")


def test_no_checkpoint_when_saving_is_off(train_args, sft):
    result = sft(train_args(max_steps=2, save_strategy="no"))
    assert not [d for d in os.listdir(result["output_dir"]) if d.startswith("checkpoint-")]
    assert result["last_model_checkpoint"] is None
