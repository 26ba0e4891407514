"""AdaLoRA: the step budget it needs, and rank reallocation driven by a real transformers Trainer."""

from __future__ import annotations

import json

import pytest
import torch
from peft import PeftModel
from swift_peft.adalora import ADALORA
from transformers import AutoModelForCausalLM, Trainer, TrainingArguments

from swift.kernel import UsageError


def test_adalora_without_a_step_budget_says_to_pass_max_steps(make_args, load_base):
    with pytest.raises(UsageError, match="--max_steps"):
        ADALORA.prepare(load_base(), make_args(train_type="adalora"))


def test_adalora_takes_the_budget_a_trainer_computed(make_args, load_base):
    args = make_args(train_type="adalora")
    # what a trainer passes when only epochs are given
    model = ADALORA.prepare(load_base(), args, total_steps=30)
    assert model.peft_config["default"].total_step == 30


def test_warmups_that_leave_no_step_to_reallocate_are_a_usage_error(make_args, load_base):
    args = make_args(train_type="adalora", max_steps=10, adalora_tinit=6, adalora_tfinal=4)
    with pytest.raises(UsageError, match="--adalora_tinit 6"):
        ADALORA.prepare(load_base(), args)


def test_trainer_with_the_callback_reallocates_ranks_and_the_checkpoint_reloads(
    make_args, load_base, base_path, batch, tmp_path, logits_of
):
    flags = {
        "max_steps": 4,
        "adalora_init_r": 4,
        "adalora_target_r": 2,
        "adalora_tinit": 0,
        "adalora_tfinal": 1,
    }
    args = make_args(train_type="adalora", **flags)
    torch.manual_seed(0)
    model = ADALORA.prepare(load_base(), args)
    rows = [{k: v[i] for k, v in batch.items()} for i in range(len(batch["input_ids"]))] * 2
    trainer = Trainer(
        model=model,
        args=TrainingArguments(
            output_dir=str(tmp_path / "run"),
            max_steps=4,
            per_device_train_batch_size=2,
            learning_rate=1e-2,
            use_cpu=True,
            report_to=[],
            save_strategy="no",
            logging_strategy="no",
            dataloader_pin_memory=False,
        ),
        train_dataset=rows,
        callbacks=[ADALORA.callback(model, args)],
    )
    trainer.train()

    ADALORA.save(model, str(tmp_path / "adapter"))
    config = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())
    kept = [sum(mask) for mask in config["rank_pattern"].values()]
    # 14 adapted linears start with 4 ranks each; the budget leaves 2 per linear on average
    assert len(kept) == 14 and sum(kept) == 2 * 14
    reloaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_path), str(tmp_path / "adapter"))
    torch.testing.assert_close(logits_of(reloaded), logits_of(model), atol=1e-5, rtol=0)
