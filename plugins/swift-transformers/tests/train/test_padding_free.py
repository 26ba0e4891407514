"""``--padding_free``: one row per batch, no padding, attention that never crosses samples."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def samples(tiny_model_dir):
    """Three encoded chats of different lengths."""
    from transformers import AutoTokenizer

    from swift.template import get_template

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    template = get_template("qwen3", tokenizer)
    chats = [("hi", "hello there"), ("what is 2 plus 3? please answer", "5"), ("name a colour", "blue, or red")]
    rows = []
    for question, answer in chats:
        messages = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        rows.append(template.encode({"messages": messages}))
    assert len({len(r["input_ids"]) for r in rows}) == 3
    return tokenizer.pad_token_id, rows


def _model(tiny_model_dir, train_type: str):
    from transformers import AutoModelForCausalLM

    from swift.arguments import TrainArguments
    from swift.contracts import load_tuner

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    if train_type != "full":
        args = TrainArguments(
            model=tiny_model_dir, train_type=train_type, lora_dropout=0.0, init_lora_weights="gaussian"
        )
        model = load_tuner(train_type).prepare(model, args)
    return model.train()


def _loss_and_grads(model, batch):
    model.zero_grad()
    loss = model(**batch, use_cache=False).loss
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return loss.detach(), grads


@pytest.mark.parametrize("train_type", ["lora", "full"])
def test_padding_free_loss_and_gradients_equal_the_padded_batchs(tiny_model_dir, samples, train_type):
    from swift_transformers.train.collator import PaddingCollator, PaddingFreeCollator
    from swift_transformers.train.varlen import use_packed_attention

    pad, rows = samples
    model = _model(tiny_model_dir, train_type)
    padded = PaddingCollator(pad)(rows)
    free = PaddingFreeCollator(pad)(rows)
    assert free["input_ids"].shape == (1, sum(len(r["input_ids"]) for r in rows)) and "attention_mask" not in free
    loss, grads = _loss_and_grads(model, padded)
    assert use_packed_attention(model) == "swift_varlen"
    free_loss, free_grads = _loss_and_grads(model, free)
    assert free_loss.item() == pytest.approx(loss.item(), abs=1e-5)
    assert grads.keys() == free_grads.keys() and grads
    for name, grad in grads.items():
        torch.testing.assert_close(free_grads[name], grad, atol=1e-5, rtol=1e-4, msg=name)


def test_no_sample_of_a_padding_free_row_sees_another(tiny_model_dir, samples):
    from swift_transformers.train.collator import PaddingFreeCollator
    from swift_transformers.train.varlen import use_packed_attention

    pad, rows = samples
    model = _model(tiny_model_dir, "full").eval()
    use_packed_attention(model)
    changed = [dict(r) for r in rows]
    changed[1]["input_ids"] = [(t + 7) % 100 + 5 for t in rows[1]["input_ids"]]  # another middle sample
    with torch.no_grad():
        before = model(**PaddingFreeCollator(pad)(rows), use_cache=False).logits[0]
        after = model(**PaddingFreeCollator(pad)(changed), use_cache=False).logits[0]
        alone = model(input_ids=torch.tensor([rows[2]["input_ids"]]), use_cache=False).logits[0]
    first, second = len(rows[0]["input_ids"]), len(rows[0]["input_ids"]) + len(rows[1]["input_ids"])
    torch.testing.assert_close(after[:first], before[:first])
    torch.testing.assert_close(after[second:], before[second:])
    assert not torch.allclose(after[first:second], before[first:second])
    torch.testing.assert_close(before[second:], alone, atol=1e-5, rtol=1e-4)


def test_a_model_on_the_packed_attention_still_answers_padded_batches_and_generates(tiny_model_dir):
    from swift_transformers.train.varlen import use_packed_attention
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    ids = torch.tensor([[5, 6, 7, 8, 9], [0, 0, 10, 11, 12]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]])  # left padding, as generation has it
    with torch.no_grad():
        expected = model(input_ids=ids, attention_mask=mask).logits
        greedy = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=4, do_sample=False)
        use_packed_attention(model)
        torch.testing.assert_close(model(input_ids=ids, attention_mask=mask).logits, expected)
        assert torch.equal(
            model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=4, do_sample=False), greedy
        )


def test_swift_sft_padding_free_trains_exactly_like_padded_batches(train_args, sft, loss_logs, tmp_path, capfd):
    padded = sft(train_args(per_device_train_batch_size=4, output_dir=str(tmp_path / "padded")))
    free = sft(train_args(per_device_train_batch_size=4, padding_free=True, output_dir=str(tmp_path / "free")))
    assert "padding-free rows: attention swift_varlen" in capfd.readouterr().err
    ours = [r["loss"] for r in loss_logs(free["output_dir"])]
    theirs = [r["loss"] for r in loss_logs(padded["output_dir"])]
    assert len(ours) == len(theirs) == 4
    assert ours == pytest.approx(theirs, abs=1e-4)


def test_padding_free_is_refused_where_it_cannot_apply(train_args, sft):
    from swift.kernel import UsageError

    with pytest.raises(UsageError, match="--predict_with_generate cannot split a padding-free row"):
        sft(train_args(padding_free=True, predict_with_generate=True))
    with pytest.raises(UsageError, match="--padding_free cannot be used with --task_type seq_cls"):
        sft(train_args(padding_free=True, num_labels=2))


def test_cu_seqlens_marks_every_sample_of_every_row_as_the_loop_does():
    from swift_transformers.train.varlen import cu_seqlens, segment_bounds

    rows = torch.tensor([[0, 1, 2, 0, 1, 0, 1, 2, 3], [0, 1, 0, 1, 2, 3, 4, 0, 0]])
    cu, longest = cu_seqlens(rows, 2, 9)
    expected = [s for b in range(2) for s, _ in (((b * 9 + s, e) for s, e in segment_bounds(rows[b])))] + [18]
    assert cu.tolist() == expected == [0, 3, 5, 9, 11, 16, 17, 18] and cu.dtype == torch.int32
    assert longest == 5
    single = torch.arange(6).unsqueeze(0)  # one row's positions shared by a batch of 3 rows
    assert cu_seqlens(single, 3, 6)[0].tolist() == [0, 6, 12, 18]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="PyTorch's varlen flash kernel needs a CUDA GPU")
def test_on_a_gpu_the_varlen_kernel_equals_the_per_sample_loop_forward_and_backward(tiny_model_dir, samples):
    """bf16 on CUDA: swift_varlen takes torch's varlen kernel; its loss and gradients match the loop's."""
    from swift_transformers.train import varlen
    from swift_transformers.train.collator import PaddingFreeCollator

    if varlen._torch_varlen() is None:
        pytest.skip(f"torch {torch.__version__} has no torch.nn.attention.varlen (GPU present)")
    pad, rows = samples
    model = _model(tiny_model_dir, "full").to("cuda", torch.bfloat16)
    varlen.use_packed_attention(model)
    batch = {k: v.cuda() for k, v in PaddingFreeCollator(pad)(rows * 3).items()}
    kernel_loss, kernel_grads = _loss_and_grads(model, batch)
    loop = varlen._torch_varlen
    varlen._torch_varlen = lambda: None  # the per-sample SDPA loop
    try:
        loop_loss, loop_grads = _loss_and_grads(model, batch)
    finally:
        varlen._torch_varlen = loop
    assert kernel_loss.item() == pytest.approx(loop_loss.item(), abs=2e-3)
    for name, grad in loop_grads.items():
        torch.testing.assert_close(kernel_grads[name].float(), grad.float(), atol=2e-2, rtol=5e-2, msg=name)


@pytest.mark.parametrize("side", ["right", "left"])
def test_an_unpadded_backbone_computes_only_real_tokens_and_equals_the_padded_forward(tiny_model_dir, samples, side):
    """trl's preference trainers pad their pairs; the backbone then runs one row of the real tokens."""
    from swift_transformers.train.collator import PaddingCollator
    from swift_transformers.train.unpad import unpad_padded_batches

    pad, rows = samples
    model = _model(tiny_model_dir, "lora")
    batch = PaddingCollator(pad)(rows)
    if side == "left":  # as generation-style collators pad
        width = batch["input_ids"].shape[1]
        for i, n in enumerate(batch["attention_mask"].sum(1).tolist()):
            for key, fill in (("input_ids", pad), ("labels", -100), ("attention_mask", 0)):
                batch[key][i] = torch.cat([torch.full((width - n,), fill), batch[key][i, :n]])
    real = batch["attention_mask"].bool()
    model.zero_grad()
    out = model(**batch, use_cache=False)
    out.loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    unpad_padded_batches(model)
    unpad_padded_batches(model)  # idempotent: one wrapper
    seen = []
    embed = model.get_base_model().get_input_embeddings()
    handle = embed.register_forward_hook(lambda mod, args, output: seen.append(tuple(args[0].shape)))
    model.zero_grad()
    free = model(**batch, use_cache=False)
    free.loss.backward()
    handle.remove()
    assert seen == [(1, int(real.sum()))]  # no padding token reached the model
    torch.testing.assert_close(free.logits[real], out.logits[real], atol=1e-5, rtol=1e-4)
    assert free.loss.item() == pytest.approx(out.loss.item(), abs=1e-5)
    for name, grad in grads.items():
        torch.testing.assert_close(dict(model.named_parameters())[name].grad, grad, atol=1e-5, rtol=1e-4, msg=name)
    with torch.no_grad():  # generation (a cache) goes through the model unchanged
        greedy = model.generate(**{k: v[:1] for k, v in batch.items() if k != "labels"}, max_new_tokens=3)
    assert greedy.shape[1] == batch["input_ids"].shape[1] + 3
