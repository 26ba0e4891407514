"""``swift rlhf`` preference methods end to end on the tiny model (in-process ``rlhf_main``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest


def _adapter_was_trained(ckpt: Path) -> bool:
    from safetensors.torch import load_file

    weights = load_file(str(ckpt / "adapter_model.safetensors"))
    lora_b = [w for name, w in weights.items() if "lora_B" in name]
    return bool(lora_b) and any(w.abs().sum() > 0 for w in lora_b)


@pytest.mark.parametrize("method", ["dpo", "orpo", "simpo", "cpo", "kto"])
def test_each_preference_method_trains_and_its_adapter_loads_in_plain_peft(
    method, rlhf_args, rlhf, read_logs, tiny_model_dir
):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    result = rlhf(rlhf_args(method))

    run_dir = Path(result["output_dir"])
    losses = [r["loss"] for r in read_logs(run_dir / "logging.jsonl") if "loss" in r]
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)
    ckpt = Path(result["last_model_checkpoint"])
    assert ckpt == run_dir / "checkpoint-2" and (ckpt / "args.json").is_file()
    assert not (ckpt / "ref").exists(), "trl's frozen reference adapter must stay out of checkpoints"
    assert _adapter_was_trained(ckpt)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), ckpt)
    ids = torch.tensor([[1, 2, 3]])
    assert torch.isfinite(model(input_ids=ids).logits).all()


def test_simpo_trains_with_beta_2_and_the_simpo_loss_by_default(rlhf_args, rlhf):
    import torch

    args = rlhf_args("simpo")
    assert args.beta is None or args.beta == 2.0  # unset on the command line
    result = rlhf(args)

    config = torch.load(Path(result["last_model_checkpoint"]) / "training_args.bin", weights_only=False)
    assert type(config).__name__ == "CPOConfig"
    assert config.beta == 2.0 and config.loss_type == "simpo"
    assert config.simpo_gamma == 1.0 and config.cpo_alpha == 1.0


def test_dpo_defaults_add_the_sft_term_weighted_by_rpo_alpha(rlhf_args, rlhf):
    import torch

    result = rlhf(rlhf_args("dpo", rpo_alpha=0.5))

    config = torch.load(Path(result["last_model_checkpoint"]) / "training_args.bin", weights_only=False)
    assert type(config).__name__ == "DPOConfig" and config.beta == 0.1
    assert config.loss_type == ["sigmoid", "sft"] and config.loss_weights == [1.0, 0.5]


def test_kto_desirable_and_undesirable_weights_change_the_loss(rlhf_args, rlhf, read_logs):
    def first_loss(**weights) -> float:
        result = rlhf(rlhf_args("kto", max_steps=1, save_steps=1, per_device_train_batch_size=4, seed=7, **weights))
        logs = read_logs(Path(result["output_dir"]) / "logging.jsonl")
        return next(r["loss"] for r in logs if "loss" in r)

    plain = first_loss()
    again = first_loss()
    heavier = first_loss(desirable_weight=3.0, undesirable_weight=0.5)

    assert plain == pytest.approx(again)  # same data, same seed: same loss
    assert heavier != pytest.approx(plain)


def test_full_dpo_trains_against_a_separate_reference_and_saves_loadable_weights(
    rlhf_args, rlhf, tiny_model_dir, capfd
):
    import torch
    from transformers import AutoModelForCausalLM

    result = rlhf(rlhf_args("dpo", train_type="full", learning_rate=1e-3))

    assert "reference model:" in capfd.readouterr().err
    ckpt = Path(result["last_model_checkpoint"])
    assert (ckpt / "model.safetensors").is_file() and not (ckpt / "adapter_config.json").exists()
    trained = AutoModelForCausalLM.from_pretrained(ckpt)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert any(not torch.equal(a, b) for a, b in zip(trained.parameters(), base.parameters()))


def test_rows_without_a_rejected_answer_are_dropped_and_counted(rlhf_args, rlhf, data_dir, tmp_path, caplog):
    from swift.kernel import UsageError

    lines = (data_dir / "pairs.jsonl").read_text().splitlines()
    bad = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}'
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([*lines, bad]) + "\n")

    with caplog.at_level("WARNING", logger="swift.data"):
        result = rlhf(rlhf_args("orpo", dataset=[str(path)], max_steps=1, save_steps=1))
    assert result["global_step"] == 1
    assert "dropped 1 of 17 rows" in caplog.text and "rejected_response" in caplog.text

    with pytest.raises(UsageError, match="rejected_response"):
        rlhf(rlhf_args("orpo", dataset=[str(path)], strict=True))


@pytest.mark.parametrize(
    "tuner",
    [
        {"train_type": "adalora"},
        {"train_type": "vera"},
        {"train_type": "boft"},
        {"train_type": "fourierft"},
        {"train_type": "lora", "init_lora_weights": "pissa"},
    ],
    ids=["adalora", "vera", "boft", "fourierft", "pissa"],
)
def test_dpo_trains_every_adapter_method_and_saves_what_plain_peft_loads(
    tuner, rlhf_args, rlhf, read_logs, tiny_model_dir
):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    result = rlhf(rlhf_args("dpo", **tuner))

    logs = [r for r in read_logs(Path(result["output_dir"]) / "logging.jsonl") if "loss" in r]
    assert len(logs) == 2 and all(math.isfinite(r["loss"]) for r in logs)
    ckpt = Path(result["last_model_checkpoint"])
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model_dir), ckpt)
    assert torch.isfinite(model(input_ids=torch.tensor([[1, 2, 3]])).logits).all()


def test_an_explicit_reference_model_is_loaded_for_an_adapter_run(rlhf_args, rlhf, tiny_model_dir, capfd):
    result = rlhf(rlhf_args("kto", ref_model=tiny_model_dir, per_device_train_batch_size=4))

    assert f"reference model: {tiny_model_dir}" in capfd.readouterr().err
    assert result["global_step"] == 2


@pytest.mark.parametrize(
    ("method", "train_type"), [("dpo", "lora"), ("dpo", "full"), ("kto", "lora"), ("simpo", "lora"), ("orpo", "lora")]
)
def test_padding_free_preference_training_logs_the_padded_runs_losses(
    method, train_type, rlhf_args, rlhf, read_logs, tmp_path, capfd
):
    """--padding_free: the pairs keep trl's padded layout, the model computes only their real tokens."""
    runs = {}
    for padding_free in (False, True):
        args = rlhf_args(method, train_type=train_type, max_steps=3, save_steps=3, per_device_train_batch_size=4,
                         seed=3, padding_free=padding_free, output_dir=str(tmp_path / str(padding_free)))  # fmt: skip
        result = rlhf(args)
        runs[padding_free] = [r for r in read_logs(Path(result["output_dir"]) / "logging.jsonl") if "loss" in r]
    assert "padding-free pairs: attention swift_varlen" in capfd.readouterr().err
    assert len(runs[True]) == len(runs[False]) == 3
    for free, padded in zip(runs[True], runs[False]):
        assert free["loss"] == pytest.approx(padded["loss"], abs=1e-4)
        for key in ("rewards/margins", "logps/chosen", "logps/rejected"):
            if key in padded:
                assert free[key] == pytest.approx(padded[key], abs=1e-3), key
