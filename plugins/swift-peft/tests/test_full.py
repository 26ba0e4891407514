"""--train_type full: every weight trains and the checkpoint is a plain transformers model."""

from __future__ import annotations

import torch
from transformers import AutoModelForCausalLM

from swift.kernel import registry


def test_full_training_unfreezes_every_weight_and_saves_a_plain_checkpoint(
    make_args, load_base, base_path, tmp_path, logits_of, train_step
):
    full = registry("tuners").load("full")
    model = load_base().requires_grad_(False)
    model = full.prepare(model, make_args(train_type="full"))
    assert all(p.requires_grad for p in model.parameters())
    before = logits_of(load_base())
    train_step(model, lr=1e-3)
    trained = logits_of(model)
    assert not torch.allclose(trained, before, atol=1e-4)

    full.save(model, str(tmp_path))
    assert not (tmp_path / "adapter_config.json").exists()
    torch.testing.assert_close(logits_of(AutoModelForCausalLM.from_pretrained(tmp_path)), trained, atol=1e-5, rtol=0)
    loaded = full.load(load_base(), str(tmp_path))
    assert not any(p.requires_grad for p in loaded.parameters())
    torch.testing.assert_close(logits_of(loaded), trained, atol=1e-5, rtol=0)


def test_full_needs_no_special_groups_or_callbacks(make_args, load_base):
    full = registry("tuners").load("full")
    args = make_args(train_type="full")
    model = full.prepare(load_base(), args)
    assert full.optimizer_param_groups(model, args) is None and full.callback(model, args) is None
