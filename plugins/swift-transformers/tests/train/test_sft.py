"""``swift sft`` end to end in-process: loss goes down, and the run folder holds what users need."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_lora_sft_lowers_the_loss_and_writes_a_complete_run_folder(
    train_args, sft, tiny_model_dir, loss_logs, read_logs
):
    result = sft(train_args(max_steps=30, save_steps=15))

    run_dir = Path(result["output_dir"])
    assert run_dir.parent.name == "output" and run_dir.name.startswith("v0-")
    losses = [r["loss"] for r in loss_logs(run_dir)]
    assert len(losses) == 30
    assert losses[0] > losses[-1] + 0.3
    assert result["global_step"] == 30
    assert result["last_model_checkpoint"] == str(run_dir / "checkpoint-30")

    saved = json.loads((run_dir / "args.json").read_text())
    assert saved["model"] == tiny_model_dir and saved["train_type"] == "lora" and saved["template"]
    assert list(run_dir.glob("runs/*/events.out.tfevents.*")), "no tensorboard event file"
    for step in (15, 30):
        ckpt = run_dir / f"checkpoint-{step}"
        for name in (
            "adapter_config.json",
            "adapter_model.safetensors",
            "args.json",
            "tokenizer.json",
            "trainer_state.json",
        ):
            assert (ckpt / name).is_file(), f"{name} missing in {ckpt}"
    first = loss_logs(run_dir)[0]
    for key in ("grad_norm", "learning_rate", "acc", "epoch", "global_step", "memory(GiB)"):
        assert key in first, key
    assert read_logs(run_dir)[-1]["last_model_checkpoint"] == str(run_dir / "checkpoint-30")


def test_the_lora_checkpoint_loads_in_plain_peft_and_generates(train_args, sft, tiny_model_dir):
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ckpt = sft(train_args(max_steps=6, save_steps=6))["last_model_checkpoint"]

    weights = load_file(str(Path(ckpt) / "adapter_model.safetensors"))
    lora_b = [w for name, w in weights.items() if "lora_B" in name]
    assert lora_b and any(w.abs().sum() > 0 for w in lora_b), "the adapter was not trained"
    tokenizer = AutoTokenizer.from_pretrained(ckpt)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), ckpt)
    prompt = tokenizer(
        "<|im_start|>user\nwhat is 2 plus 3?<|im_end|>\n<|im_start|>assistant\n",
        return_tensors="pt",
    )
    with torch.no_grad():
        out = model.generate(**prompt, max_new_tokens=5, do_sample=False)
    assert out.shape[1] > prompt["input_ids"].shape[1]


def test_full_sft_lowers_the_loss_and_saves_loadable_weights(train_args, sft, tiny_model_dir, loss_logs):
    import torch
    from transformers import AutoModelForCausalLM

    result = sft(train_args(train_type="full", max_steps=20, save_steps=20, learning_rate=2e-3))

    losses = [r["loss"] for r in loss_logs(result["output_dir"])]
    assert losses[0] > losses[-1] + 0.3
    ckpt = Path(result["last_model_checkpoint"])
    assert (ckpt / "model.safetensors").is_file() and not (ckpt / "adapter_config.json").exists()
    trained = AutoModelForCausalLM.from_pretrained(ckpt)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    changed = [not torch.equal(a, b) for a, b in zip(trained.parameters(), base.parameters())]
    assert all(changed)


def test_sentence_accuracy_is_logged_as_a_fraction_of_samples(train_args, sft, loss_logs):
    result = sft(train_args(acc_strategy="sentence", max_steps=2, per_device_train_batch_size=4))

    accs = [r["acc"] for r in loss_logs(result["output_dir"])]
    # 4 samples per step: sentence accuracy can only be a multiple of 1/4
    assert all(abs(a * 4 - round(a * 4)) < 1e-6 for a in accs)


def test_validation_set_is_evaluated_and_picks_the_best_checkpoint(train_args, sft, read_logs):
    result = sft(train_args(split_dataset_ratio=0.25, max_steps=4, save_steps=2))

    evals = [r for r in read_logs(result["output_dir"]) if "eval_loss" in r]
    assert [r["global_step"] for r in evals] == [2, 4]
    assert all(0 <= r["eval_acc"] <= 1 for r in evals)
    assert result["best_model_checkpoint"] in {
        str(Path(result["output_dir"]) / "checkpoint-2"),
        str(Path(result["output_dir"]) / "checkpoint-4"),
    }


def test_predict_with_generate_reports_text_metrics(train_args, sft, read_logs):
    result = sft(
        train_args(
            split_dataset_ratio=0.125,
            max_steps=2,
            save_steps=2,
            predict_with_generate=True,
            max_new_tokens=8,
        )
    )

    evals = [r for r in read_logs(result["output_dir"]) if "eval_rouge-l" in r]
    assert len(evals) == 1
    assert 0 <= evals[0]["eval_rouge-l"] <= 1 and 0 <= evals[0]["eval_exact_match"] <= 1


def test_loss_type_selects_a_registered_loss(train_args, sft, loss_logs, tmp_path):
    ce = sft(train_args(loss_type="cross_entropy", max_steps=10, save_steps=10))
    dft = sft(train_args(loss_type="dft", max_steps=1, save_steps=1, output_dir=str(tmp_path / "dft")))

    ce_losses = [r["loss"] for r in loss_logs(ce["output_dir"])]
    assert ce_losses[0] > ce_losses[-1]
    # dft weighs each token's cross-entropy by its probability (about 1/vocab untrained)
    assert loss_logs(dft["output_dir"])[0]["loss"] < ce_losses[0] / 50


def test_an_unknown_loss_type_names_the_available_ones(train_args, sft):
    from swift.kernel import UnknownNameError

    with pytest.raises(UnknownNameError, match="cross_entropy"):
        sft(train_args(loss_type="crossentropy"))
