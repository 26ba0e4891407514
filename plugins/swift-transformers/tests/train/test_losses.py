"""The ``--loss_type`` functions against the model's own loss."""

from __future__ import annotations

import torch
from swift_transformers.train.losses import cross_entropy, dft


def _batch(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    torch.manual_seed(0)
    input_ids = torch.randint(10, 1000, (2, 12))
    labels = input_ids.clone()
    labels[:, :5] = -100
    labels[1, 9:] = -100
    with torch.no_grad():
        outputs = model(input_ids=input_ids, labels=labels)
    return outputs, labels


def test_cross_entropy_equals_the_models_own_loss(tiny_model_dir):
    outputs, labels = _batch(tiny_model_dir)

    assert torch.allclose(cross_entropy(outputs, labels), outputs.loss, atol=1e-5)
    # with the token count given (gradient accumulation), it divides by that count instead
    trained = int(labels[:, 1:].ne(-100).sum())
    assert torch.allclose(cross_entropy(outputs, labels, num_items_in_batch=2 * trained), outputs.loss / 2, atol=1e-5)


def test_dft_weighs_tokens_by_their_probability(tiny_model_dir):
    outputs, labels = _batch(tiny_model_dir)
    logits = outputs.logits[:, :-1].float()
    target = labels[:, 1:]
    mask = target.ne(-100)
    logp = torch.log_softmax(logits, -1).gather(-1, target.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    expected = (-logp * logp.exp())[mask].mean()

    assert torch.allclose(dft(outputs, labels), expected, atol=1e-6)
