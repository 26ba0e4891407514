"""``--loss_chunk_size``: the LM loss in chunks equals the model's own, without the batch's logits."""

from __future__ import annotations

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode


def _model(tiny_model_dir, train_type):
    from transformers import AutoModelForCausalLM

    from swift.arguments import TrainArguments
    from swift.contracts import load_tuner

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    if train_type != "full":
        args = TrainArguments(model=tiny_model_dir, lora_dropout=0.0, init_lora_weights="gaussian")
        model = load_tuner(train_type).prepare(model, args)
    return model.train()


def _batch(vocab: int, rows: int = 2, length: int = 60) -> dict[str, torch.Tensor]:
    torch.manual_seed(1)
    ids = torch.randint(5, vocab, (rows, length))
    labels = ids.clone()
    labels[:, :20] = -100  # a prompt
    labels[1, 50:] = -100  # and padding
    mask = torch.ones_like(ids)
    mask[1, 50:] = 0
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def _grads(model) -> dict[str, torch.Tensor]:
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("train_type", ["lora", "full"])
@pytest.mark.parametrize(("chunk_size", "num_items"), [(2048, None), (7, None), (16, 150)])
def test_the_chunked_loss_and_gradients_equal_the_models_own(tiny_model_dir, train_type, chunk_size, num_items):
    from swift_transformers.train.chunked_loss import chunked_lm_loss

    model = _model(tiny_model_dir, train_type)
    batch = _batch(model.config.vocab_size)
    kwargs = {} if num_items is None else {"num_items_in_batch": torch.tensor(num_items)}
    model.zero_grad()
    expected = model(**batch, use_cache=False, **kwargs).loss
    expected.backward()
    reference = _grads(model)
    model.zero_grad()
    loss, counts = chunked_lm_loss(model, batch, kwargs.get("num_items_in_batch"), chunk_size)
    loss.backward()
    assert loss.item() == pytest.approx(expected.item(), abs=1e-6)
    assert counts[1].item() == 40 + 30  # trained next-token targets of the two rows
    ours = _grads(model)
    assert ours.keys() == reference.keys() and ours
    for name, grad in reference.items():
        torch.testing.assert_close(ours[name], grad, atol=1e-6, rtol=1e-5, msg=name)


@pytest.mark.parametrize("train_type", ["lora", "full"])
def test_a_head_that_is_not_a_plain_linear_takes_the_checkpointed_chunks_with_the_same_result(
    tiny_model_dir, train_type
):
    """The fused path (gradients made in the forward) and the checkpointed one agree; each is taken where it should be."""
    from swift_transformers.train import chunked_loss
    from swift_transformers.train.unwrap import inner_model

    class WrappedHead(torch.nn.Linear):  # stands for peft's or a quantization library's head wrappers
        pass

    model = _model(tiny_model_dir, train_type)
    batch = _batch(model.config.vocab_size)
    causal = inner_model(model)
    head = causal.get_output_embeddings()
    assert chunked_loss._fusable(head, torch.zeros(1, head.in_features))
    model.zero_grad()
    fused_loss, fused_counts = chunked_loss.chunked_lm_loss(model, batch, None, 16)
    fused_loss.backward()
    fused = _grads(model)
    wrapped = WrappedHead(head.in_features, head.out_features, bias=False)
    wrapped.weight = head.weight  # the same Parameter (tied to the embeddings where the model ties them)
    causal.set_output_embeddings(wrapped)
    assert not chunked_loss._fusable(wrapped, torch.zeros(1, head.in_features))
    model.zero_grad()
    loss, counts = chunked_loss.chunked_lm_loss(model, batch, None, 16)
    loss.backward()
    assert loss.item() == pytest.approx(fused_loss.item(), abs=1e-6) and counts.tolist() == fused_counts.tolist()
    for name, grad in _grads(model).items():
        torch.testing.assert_close(fused[name], grad, atol=1e-6, rtol=1e-5, msg=name)
    with torch.no_grad():  # evaluation: no gradients made, same loss
        assert chunked_loss.chunked_lm_loss(model, batch, None, 16)[0].item() == pytest.approx(loss.item(), abs=1e-6)


class _LargestLogits(TorchDispatchMode):
    """The most elements of any tensor an op produced whose last dimension is the vocabulary."""

    def __init__(self, vocab: int):
        super().__init__()
        self.vocab, self.largest = vocab, 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else (out,):
            if isinstance(t, torch.Tensor) and t.dim() >= 2 and t.shape[-1] == self.vocab:
                self.largest = max(self.largest, t.numel() // self.vocab)
        return out


def test_the_batch_logits_are_never_materialised(tiny_model_dir):
    from swift_transformers.train.chunked_loss import chunked_lm_loss

    model = _model(tiny_model_dir, "lora")
    vocab, hidden = model.config.vocab_size, model.config.hidden_size
    batch = _batch(vocab, rows=2, length=120)  # 240 positions, far more than the hidden size
    with _LargestLogits(vocab) as plain:
        model(**batch, use_cache=False).loss.backward()
    with _LargestLogits(vocab) as chunked:
        chunked_lm_loss(model, batch, None, chunk_size=16)[0].backward()
    assert plain.largest >= 2 * 119  # every position's logits at once
    # rows of vocabulary-wide tensors: 16 per chunk (the head's weight has `hidden` rows)
    assert chunked.largest <= max(16, hidden) < plain.largest


def test_swift_sft_trains_the_same_with_and_without_chunks(train_args, sft, loss_logs, tmp_path):
    chunked = sft(train_args(loss_chunk_size=5, output_dir=str(tmp_path / "chunked")))
    plain = sft(train_args(loss_chunk_size=0, output_dir=str(tmp_path / "plain")))
    ours = [(r["loss"], r["acc"]) for r in loss_logs(chunked["output_dir"])]
    theirs = [(r["loss"], r["acc"]) for r in loss_logs(plain["output_dir"])]
    assert len(ours) == len(theirs) == 4
    for (loss, acc), (loss_ref, acc_ref) in zip(ours, theirs):
        assert loss == pytest.approx(loss_ref, abs=1e-4) and acc == pytest.approx(acc_ref, abs=1e-6)


def test_models_that_transform_their_logits_keep_their_own_loss(tiny_model_dir):
    from swift_transformers.train.chunked_loss import head_parts

    model = _model(tiny_model_dir, "full")
    assert head_parts(model) is not None
    model.config.final_logit_softcapping = 30.0
    assert head_parts(model) is None


def test_sharded_heads_take_the_checkpointed_chunks_which_call_the_head():
    """Under DeepSpeed ZeRO-3 or FSDP a weight is whole only while its module runs: no reading it directly."""
    from swift_transformers.train.chunked_loss import _fusable

    hidden = torch.zeros(3, 8)
    head = torch.nn.Linear(8, 16, bias=False)
    assert _fusable(head, hidden)
    assert not _fusable(head, torch.zeros(3, 4))  # a partitioned weight's shape is not the head's

    class FullyShardedDataParallel(torch.nn.Module):  # the name FSDP's wrapper class has
        def __init__(self, module):
            super().__init__()
            self.module = module

    assert not _fusable(head, hidden, FullyShardedDataParallel(torch.nn.Sequential(head)))
    head.weight.ds_id = 7  # how DeepSpeed marks the parameters it partitions
    assert not _fusable(head, hidden)
