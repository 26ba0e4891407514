"""LoRA specifics: init spellings, lora_dtype, lora_bias, LoRA+ groups, adapters by name."""

from __future__ import annotations

import math

import pytest
import torch
from peft import PeftModel
from safetensors.torch import load_file
from swift_peft.lora import LORA, peft_init_lora_weights
from transformers import AutoConfig, AutoModelForCausalLM

from swift.kernel import UsageError


@pytest.mark.parametrize(
    ("flag", "peft_value"),
    [
        ("true", True),
        ("false", False),
        ("guassian", "gaussian"),
        ("gaussian", "gaussian"),
        ("pissa", "pissa"),
        ("pissa_niter_16", "pissa_niter_16"),
        ("olora", "olora"),
        ("True", True),
    ],
)
def test_init_lora_weights_flag_maps_to_the_peft_value(flag, peft_value):
    assert peft_init_lora_weights(flag) == peft_value


@pytest.mark.parametrize("flag", ["loftq", "eva", "corda", "lora-ga", "kaiming"])
def test_init_lora_weights_this_plugin_cannot_honour_is_a_usage_error(flag, make_args, load_base):
    with pytest.raises(UsageError, match="--init_lora_weights"):
        LORA.prepare(load_base(), _raw_args(make_args, flag))


def _raw_args(make_args, init):
    # the core rejects unknown spellings itself; the tuner must also refuse values it cannot honour
    args = make_args()
    args.init_lora_weights = init
    return args


def test_init_false_starts_from_a_nonzero_update(make_args, load_base, logits_of):
    base = logits_of(load_base())
    torch.manual_seed(0)
    assert torch.allclose(logits_of(LORA.prepare(load_base(), make_args())), base, atol=1e-6)
    torch.manual_seed(0)
    assert not torch.allclose(
        logits_of(LORA.prepare(load_base(), make_args(init_lora_weights="false"))), base, atol=1e-4
    )


def test_rslora_scales_by_alpha_over_sqrt_rank(make_args, load_base):
    model = LORA.prepare(load_base(), make_args(use_rslora=True, lora_rank=16, lora_alpha=32))
    q_proj = model.get_base_model().model.layers[0].self_attn.q_proj
    assert q_proj.scaling["default"] == pytest.approx(32 / math.sqrt(16))


def test_lora_dtype_casts_only_the_adapter_and_is_saved_in_that_dtype(make_args, load_base, tmp_path, train_step):
    torch.manual_seed(0)
    model = LORA.prepare(load_base(), make_args(lora_dtype="bfloat16"))
    dtypes = {("lora_" in n, p.dtype) for n, p in model.named_parameters()}
    assert dtypes == {(True, torch.bfloat16), (False, torch.float32)}
    train_step(model)
    LORA.save(model, str(tmp_path))
    saved = load_file(tmp_path / "adapter_model.safetensors")
    assert saved and {t.dtype for t in saved.values()} == {torch.bfloat16}


@pytest.fixture(scope="module")
def biased_base(tmp_path_factory, base_path):
    """A tiny Llama whose attention projections have biases (the Qwen3 fixture has none)."""
    vocab_size = AutoConfig.from_pretrained(base_path).vocab_size  # the batch's token ids fit
    config = AutoConfig.for_model(
        "llama",
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        attention_bias=True,
    )
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("biased")
    AutoModelForCausalLM.from_config(config).save_pretrained(path)
    return path


def test_lora_bias_all_trains_the_biases_and_saves_them(biased_base, make_args, tmp_path, logits_of, train_step):
    torch.manual_seed(0)
    model = LORA.prepare(AutoModelForCausalLM.from_pretrained(biased_base), make_args(lora_bias="all"))
    trainable_biases = [n for n, p in model.named_parameters() if p.requires_grad and n.endswith("bias")]
    assert len(trainable_biases) == 4  # q, k, v, o
    train_step(model)
    LORA.save(model, str(tmp_path))
    assert sum(k.endswith("bias") for k in load_file(tmp_path / "adapter_model.safetensors")) == 4
    reloaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(biased_base), str(tmp_path))
    torch.testing.assert_close(logits_of(reloaded), logits_of(model), atol=1e-5, rtol=0)


def test_lora_bias_none_freezes_the_biases(biased_base, make_args):
    model = LORA.prepare(AutoModelForCausalLM.from_pretrained(biased_base), make_args())
    assert not any(p.requires_grad for n, p in model.named_parameters() if n.endswith("bias"))


def test_loraplus_gives_lora_b_the_ratio_times_the_learning_rate(make_args, load_base):
    args = make_args(lorap_lr_ratio=16.0, learning_rate=2e-4, weight_decay=0.1, use_dora=True)
    model = LORA.prepare(load_base(), args)
    groups = LORA.optimizer_param_groups(model, args)
    lr_of = {id(p): g["lr"] for g in groups for p in g["params"]}
    decay_of = {id(p): g["weight_decay"] for g in groups for p in g["params"]}
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert sum(len(g["params"]) for g in groups) == len(trainable) == len(lr_of)
    for name, param in trainable.items():
        assert lr_of[id(param)] == pytest.approx(3.2e-3 if "lora_B" in name else 2e-4), name
        assert decay_of[id(param)] == (0.1 if param.ndim >= 2 else 0.0), name


def test_without_lorap_lr_ratio_the_trainer_keeps_its_own_groups(make_args, load_base):
    args = make_args()
    assert LORA.optimizer_param_groups(LORA.prepare(load_base(), args), args) is None


def test_pissa_checkpoint_keeps_modules_to_save_and_training_continues(
    make_args, load_base, base_path, tmp_path, logits_of, train_step
):
    torch.manual_seed(0)
    model = LORA.prepare(load_base(), make_args(init_lora_weights="pissa", modules_to_save=["lm_head"]))
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    train_step(model)
    LORA.save(model, str(tmp_path / "first"))
    assert [n for n, p in model.named_parameters() if p.requires_grad] == trainable
    train_step(model)
    LORA.save(model, str(tmp_path / "second"))
    reloaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_path), str(tmp_path / "second"))
    torch.testing.assert_close(logits_of(reloaded), logits_of(model), atol=1e-5, rtol=0)


def _trained_adapter(make_args, load_base, train_step, seed, directory):
    torch.manual_seed(seed)
    model = LORA.prepare(load_base(), make_args())
    train_step(model)
    LORA.save(model, str(directory))
    return model


def test_several_adapters_load_by_name_and_switch(make_args, load_base, tmp_path, logits_of, train_step):
    first = logits_of(_trained_adapter(make_args, load_base, train_step, 1, tmp_path / "a"))
    second = logits_of(_trained_adapter(make_args, load_base, train_step, 2, tmp_path / "b"))
    model = LORA.load(load_base(), str(tmp_path / "a"))
    assert LORA.load(model, str(tmp_path / "b"), adapter_name="b") is model
    torch.testing.assert_close(logits_of(model), first, atol=1e-5, rtol=0)
    model.set_adapter("b")
    torch.testing.assert_close(logits_of(model), second, atol=1e-5, rtol=0)


@pytest.mark.parametrize("is_trainable", [False, True])
def test_loaded_adapter_is_trainable_only_when_asked(make_args, load_base, tmp_path, train_step, is_trainable):
    _trained_adapter(make_args, load_base, train_step, 0, tmp_path)
    model = LORA.load(load_base(), str(tmp_path), is_trainable=is_trainable)
    assert any(p.requires_grad for p in model.parameters()) is is_trainable
