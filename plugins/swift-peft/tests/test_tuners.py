"""Every method end to end: prepare, one optimizer step, save, reload in plain peft, merge."""

from __future__ import annotations

import json

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

from swift.kernel import registry

# id → (train_type, flags): the LoRA variants are flags of --train_type lora
VARIANTS = {
    "lora": ("lora", {}),
    "dora": ("lora", {"use_dora": True}),
    "rslora": ("lora", {"use_rslora": True}),
    "pissa": ("lora", {"init_lora_weights": "pissa"}),
    "pissa_niter": ("lora", {"init_lora_weights": "pissa_niter_4"}),
    "olora": ("lora", {"init_lora_weights": "olora"}),
    "lora+": ("lora", {"lorap_lr_ratio": 16.0}),
    "adalora": ("adalora", {"max_steps": 10}),
    "boft": ("boft", {}),
    "vera": ("vera", {}),
    "fourierft": ("fourierft", {}),
}


def _linears(model):
    """(in, out) of every linear the default all-linear targets: attention and MLP projections."""
    return [
        (m.in_features, m.out_features)
        for name, m in model.named_modules()
        if isinstance(m, torch.nn.Linear) and name != "lm_head"
    ]


# trainable parameters per adapted linear, from each method's definition
PER_LINEAR = {
    "lora": lambda i, o: 8 * (i + o),  # A (r×in) + B (out×r)
    "dora": lambda i, o: 8 * (i + o) + o,  # + magnitude vector
    "rslora": lambda i, o: 8 * (i + o),
    "lora+": lambda i, o: 8 * (i + o),
    "adalora": lambda i, o: 12 * (i + o) + 12,  # init_r: P (r×in) + Q (out×r) + singular values
    "vera": lambda i, o: 256 + o,  # lambda_d (r) + lambda_b (out); projections are frozen buffers
    "fourierft": lambda i, o: 2000,  # n_frequency spectral coefficients
}


@pytest.fixture(params=list(VARIANTS))
def variant(request):
    return request.param


@pytest.fixture
def prepared(variant, make_args, load_base):
    """(tuner, args, model) for the variant, seeded because adapter init draws from the global RNG."""
    train_type, flags = VARIANTS[variant]
    tuner = registry("tuners").load(train_type)
    args = make_args(train_type=train_type, **flags)
    torch.manual_seed(0)
    return tuner, args, tuner.prepare(load_base(), args)


def test_trained_adapter_reloads_in_plain_peft_with_identical_logits(
    prepared, tmp_path, base_path, load_base, logits_of, train_step
):
    tuner, args, model = prepared
    base_logits = logits_of(load_base())
    train_step(model, tuner.optimizer_param_groups(model, args), callback=tuner.callback(model, args))
    trained = logits_of(model)
    assert not torch.allclose(trained, base_logits, atol=1e-4), "the optimizer step changed nothing"

    tuner.save(model, str(tmp_path))
    assert (tmp_path / "adapter_model.safetensors").is_file()
    reloaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_path), str(tmp_path))
    torch.testing.assert_close(logits_of(reloaded), trained, atol=1e-5, rtol=0)


def test_merged_model_gives_the_logits_of_base_plus_adapter(prepared, logits_of, train_step):
    tuner, args, model = prepared
    train_step(model, tuner.optimizer_param_groups(model, args), callback=tuner.callback(model, args))
    trained = logits_of(model)
    merged = tuner.merge(model)
    assert not isinstance(merged, PeftModel)
    assert not any(
        "lora_" in n or "boft_" in n or "vera_" in n or "fourierft_" in n for n, _ in merged.named_parameters()
    )
    torch.testing.assert_close(logits_of(merged), trained, atol=1e-4, rtol=0)


def test_only_the_adapter_is_trainable_with_the_expected_size(variant, prepared, load_base):
    tuner, args, model = prepared
    trainable = {n: p.numel() for n, p in model.named_parameters() if p.requires_grad}
    prefix = {
        "adalora": "lora_",
        "boft": "boft_",
        "vera": "vera_lambda",
        "fourierft": "fourierft_",
    }.get(variant, "lora_")
    assert trainable and all(prefix in name for name in trainable), sorted(trainable)[:5]
    if variant in PER_LINEAR:
        expected = sum(PER_LINEAR[variant](i, o) for i, o in _linears(load_base()))
        assert sum(trainable.values()) == expected


def test_lora_variant_flags_are_recorded_in_the_saved_adapter_config(variant, prepared, tmp_path):
    tuner, args, model = prepared
    tuner.save(model, str(tmp_path))
    config = json.loads((tmp_path / "adapter_config.json").read_text())
    if variant == "dora":
        assert config["use_dora"] is True
    elif variant == "rslora":
        assert config["use_rslora"] is True
    elif variant in ("pissa", "pissa_niter", "olora"):
        # converted to plain LoRA of twice the rank so it applies to the original base weights
        assert (config["r"], config["init_lora_weights"]) == (16, True)
    else:
        assert config["peft_type"] == {
            "adalora": "ADALORA",
            "boft": "BOFT",
            "vera": "VERA",
            "fourierft": "FOURIERFT",
        }.get(variant, "LORA")


@pytest.mark.parametrize(
    ("value", "key", "saved"), [("true", 0, True), ("false", 0, False), ("7", 7, True)], ids=["true", "false", "key"]
)
def test_vera_projection_prng_key_takes_the_references_switch_and_a_prng_key(value, key, saved, load_base):
    from swift_peft.methods import VERA

    from swift.arguments import parse_args
    from swift.arguments.train import TrainArguments

    args = parse_args(TrainArguments, ["--train_type", "vera", "--vera_projection_prng_key", value])
    config = VERA.prepare(load_base(), args).peft_config["default"]
    assert (config.projection_prng_key, config.save_projection) == (key, saved)
