"""LLaMA-Pro: identity blocks inserted per group, only they train, the checkpoint is a plain model."""

from __future__ import annotations

import pytest
import torch
from swift_peft.llamapro import LLAMAPRO, decoder_blocks
from transformers import AutoModelForCausalLM

from swift.kernel import UsageError


def test_new_blocks_start_as_the_identity_and_are_the_only_trainable_ones(make_args, load_base, logits_of):
    base = load_base()
    before = logits_of(base)
    model = LLAMAPRO.prepare(load_base(), make_args(train_type="llamapro", llamapro_num_new_blocks=2))

    _, _, blocks = decoder_blocks(model)
    assert len(blocks) == 4 and model.config.num_hidden_layers == 4
    torch.testing.assert_close(logits_of(model), before, atol=1e-5, rtol=0)
    trainable = {n.split(".")[2] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"1", "3"}  # one new block after each of the two groups


def test_blocks_are_inserted_per_group(make_args, load_base):
    model = LLAMAPRO.prepare(
        load_base(), make_args(train_type="llamapro", llamapro_num_new_blocks=2, llamapro_num_groups=1)
    )
    trainable = {n.split(".")[2] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"2", "3"}  # both after the only group


def test_groups_that_do_not_divide_the_layers_are_spread_as_evenly_as_they_go(make_args, load_base):
    # the reference's defaults (4 new blocks, one group each) on a 2-layer model: two after each layer
    model = LLAMAPRO.prepare(load_base(), make_args(train_type="llamapro"))
    trainable = {n.split(".")[2] for n, p in model.named_parameters() if p.requires_grad}
    assert model.config.num_hidden_layers == 6 and trainable == {"1", "2", "4", "5"}

    model = LLAMAPRO.prepare(load_base(), make_args(train_type="llamapro", llamapro_num_new_blocks=3))
    trainable = {n.split(".")[2] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"1", "3", "4"}


def test_block_counts_below_one_are_a_usage_error(make_args, load_base):
    with pytest.raises(UsageError, match="at least 1"):
        LLAMAPRO.prepare(load_base(), make_args(train_type="llamapro", llamapro_num_new_blocks=0))


def test_trained_checkpoint_loads_in_plain_transformers_with_the_same_logits(
    make_args, load_base, logits_of, train_step, tmp_path
):
    model = LLAMAPRO.prepare(load_base(), make_args(train_type="llamapro", llamapro_num_new_blocks=2))
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    train_step(model)
    train_step(model)
    assert all(torch.equal(p, frozen[n]) for n, p in model.named_parameters() if n in frozen)

    LLAMAPRO.save(model, str(tmp_path))
    plain = AutoModelForCausalLM.from_pretrained(tmp_path)
    assert plain.config.num_hidden_layers == 4
    torch.testing.assert_close(logits_of(plain), logits_of(model), atol=1e-5, rtol=0)
