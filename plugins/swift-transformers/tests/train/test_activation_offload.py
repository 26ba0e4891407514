"""``--activation_offloading``: saved activations wait in host memory, the numbers stay the same.

On CPU the offloader's bookkeeping (which tensors, once each, back before their backward, the
layers taken out of checkpointing) runs with a transfer that copies CPU tensors; on a GPU the
real side-stream transfer runs and GPU memory after the forward falls.
"""

from __future__ import annotations

import weakref

import pytest
import torch
from swift_transformers.train.offload import ActivationOffloadCallback, ActivationOffloader
from swift_transformers.train.unwrap import decoder_layers


class CopyTransfer:
    """Offloads CPU tensors by copying them; records what moved and in which order."""

    def __init__(self):
        self.out: list[tuple] = []  # (data_ptr, storage ptr, shape, stride) of each tensor copied out
        self.back: list[int] = []  # id of each host copy brought back
        self.events: list[str] = []  # "back" (a copy starts back) and "use" (backward reads one), in order

    def moves(self, tensor):
        return tensor.device.type == "cpu"

    def to_host(self, tensor):
        self.out.append((tensor.data_ptr(), tensor.untyped_storage().data_ptr(), tuple(tensor.shape), tensor.stride()))
        host = torch.empty_strided(tensor.shape, tensor.stride(), dtype=tensor.dtype)
        host.copy_(tensor)
        return host, None

    def to_device(self, host, done, device):
        self.back.append(id(host))
        self.events.append("back")
        return host.clone(), id(host)

    def use(self, tensor, ready):
        self.events.append("use")
        return tensor


def _model(tiny_model_dir, train_type: str):
    from transformers import AutoModelForCausalLM

    from swift.arguments import TrainArguments
    from swift.contracts import load_tuner

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    if train_type != "full":
        args = TrainArguments(model=tiny_model_dir, train_type="lora", lora_dropout=0.0, init_lora_weights="gaussian")
        model = load_tuner("lora").prepare(model, args)
    return model.train()


def _batch():
    torch.manual_seed(1)
    ids = torch.randint(10, 200, (2, 24))
    return {"input_ids": ids, "labels": ids.clone()}


def _loss_and_grads(model, batch):
    model.zero_grad()
    loss = model(**batch, use_cache=False).loss
    loss.backward()
    return loss.detach(), {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("train_type", ["lora", "full"])
def test_offloaded_layers_give_the_same_loss_and_gradients_and_come_back_before_their_backward(
    tiny_model_dir, train_type
):
    model = _model(tiny_model_dir, train_type)
    layers = decoder_layers(model)
    assert len(layers) == 2
    expected_loss, expected = _loss_and_grads(model, _batch())
    transfer = CopyTransfer()
    offloader = ActivationOffloader(layers, 1, [*model.parameters()], transfer, min_bytes=0).attach()
    loss, grads = _loss_and_grads(model, _batch())
    offloader.detach()
    assert loss == expected_loss
    assert grads.keys() == expected.keys()
    for name, grad in expected.items():
        assert torch.equal(grads[name], grad), name
    assert offloader.bytes_offloaded > 0 and len(transfer.out) > 10
    # every copy came back once, all of them (prefetched) when layer 1's backward began, before layer 0's read one
    assert len(transfer.back) == len(set(transfer.back)) == len(transfer.out)
    first_use = transfer.events.index("use")
    assert transfer.events[:first_use] == ["back"] * len(transfer.out)


def test_after_the_forward_the_offloaded_activations_are_gone_from_the_device(tiny_model_dir):
    """What the memory saving is made of: the graph holds host copies, not the layer's tensors."""
    model = _model(tiny_model_dir, "lora")
    layers = decoder_layers(model)
    alive = {}

    def keep_ref(name):
        return lambda module, args, output: alive.__setitem__(name, weakref.ref(output))

    for index in (0, 1):
        layers[index].mlp.act_fn.register_forward_hook(keep_ref(index))  # the MLP activation gate_proj saves
    loss = model(**_batch(), use_cache=False).loss
    assert alive[0]() is not None and alive[1]() is not None  # the plain graph keeps both
    del loss

    offloader = ActivationOffloader(layers, 1, [*model.parameters()], CopyTransfer(), min_bytes=0).attach()
    loss = model(**_batch(), use_cache=False).loss
    assert alive[0]() is None  # offloaded: only the host copy is left
    assert alive[1]() is not None  # the last layer is never offloaded
    loss.backward()
    offloader.detach()


def test_parameters_stay_and_a_tensor_saved_several_times_moves_once(tiny_model_dir):
    model = _model(tiny_model_dir, "full")
    layers = decoder_layers(model)
    transfer = CopyTransfer()
    ActivationOffloader(layers, 1, [*model.parameters()], transfer, min_bytes=0).attach()
    model(**_batch(), use_cache=False).loss.backward()
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}
    assert transfer.out and not {storage for _, storage, _, _ in transfer.out} & weights
    # q, k and v read the same normed hidden states: one copy (address, shape and strides once each)
    keys = [(ptr, shape, stride) for ptr, _, shape, stride in transfer.out]
    assert len(keys) == len(set(keys))
    hidden = model.config.hidden_size
    assert sum(1 for _, _, shape, _ in transfer.out if shape == (2, 24, hidden)) >= 2  # the norms' inputs/outputs


def test_small_tensors_and_evaluation_stay_where_they_are(tiny_model_dir):
    model = _model(tiny_model_dir, "lora")
    transfer = CopyTransfer()
    offloader = ActivationOffloader(decoder_layers(model), 1, [*model.parameters()], transfer).attach()
    model(**_batch(), use_cache=False).loss.backward()  # the tiny model's tensors are all under 1 MiB
    assert transfer.out == [] and offloader.bytes_offloaded == 0
    offloader.min_bytes = 0
    with torch.no_grad():
        model(**_batch(), use_cache=False)
    model.eval()
    model(**_batch(), use_cache=False).loss.backward()
    assert transfer.out == []


def test_the_callback_takes_offloaded_layers_out_of_checkpointing_only(tiny_model_dir, capfd):
    """Under gradient checkpointing the offloaded layers run once, the others again in backward."""
    expected_loss, expected = _loss_and_grads(_model(tiny_model_dir, "lora"), _batch())
    model = _model(tiny_model_dir, "lora")
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    callback = ActivationOffloadCallback(model, layers=1, transfer=CopyTransfer())
    callback.on_train_begin(None, None, None)
    callback.offloader.min_bytes = 0
    layers = decoder_layers(model)
    calls = [0] * len(layers)
    for i, layer in enumerate(layers):
        layer.self_attn.register_forward_hook(lambda *a, i=i: calls.__setitem__(i, calls[i] + 1))
    loss, grads = _loss_and_grads(model, _batch())
    assert calls == [1, 2]
    assert loss == pytest.approx(expected_loss.item(), abs=1e-6)
    for name, grad in expected.items():
        torch.testing.assert_close(grads[name], grad, atol=1e-6, rtol=1e-5, msg=name)
    callback.on_step_end(None, None, None)
    err = capfd.readouterr().err
    assert "decoder layers 0-0 of 2 keep what they save for backward in host memory" in err
    assert "the other 1 are recomputed in backward" in err and "GiB went to host memory in step 1" in err
    callback.on_train_end(None, None, None)
    calls[:] = [0] * len(layers)
    model(**_batch(), use_cache=False).loss.backward()
    assert callback.offloader is None and calls[0] == 1  # unhooked; layer 0 stays out of checkpointing


def test_asking_more_layers_than_there_are_offloads_all_but_the_last(tiny_model_dir, capfd):
    model = _model(tiny_model_dir, "lora")
    callback = ActivationOffloadCallback(model, layers=40, transfer=CopyTransfer())
    callback.on_train_begin(None, None, None)
    assert callback.offloader.count == 1
    err = capfd.readouterr().err
    assert "decoder layers 0-0 of 2" in err and "(asked 40; the last layer is never offloaded)" in err
    callback.on_train_end(None, None, None)


def test_activation_offloading_usage_errors_come_first(train_args, sft, tmp_path):
    from swift.kernel import UsageError

    out = tmp_path / "out"
    with pytest.raises(UsageError, match="--activation_offloading_layers is set but --activation_offloading is not"):
        sft(train_args(activation_offloading_layers=2, output_dir=str(out)))
    with pytest.raises(UsageError, match="give 1 or more layers"):
        sft(train_args(activation_offloading=True, activation_offloading_layers=0, output_dir=str(out)))
    with pytest.raises(UsageError, match="cannot be combined with --deepspeed"):
        sft(train_args(activation_offloading=True, deepspeed="zero2", output_dir=str(out)))
    if not torch.cuda.is_available():
        with pytest.raises(UsageError, match="no GPU is visible"):
            sft(train_args(activation_offloading=True, output_dir=str(out)))
    assert not out.exists()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="offloading moves activations out of GPU memory: needs CUDA")
def test_on_a_gpu_offloading_frees_device_memory_and_keeps_the_gradients(tiny_model_dir):
    """bf16 on CUDA, side streams: equal gradients, less memory allocated between forward and backward."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(tiny_model_dir)
    config.update({"hidden_size": 512, "intermediate_size": 2048, "num_hidden_layers": 6, "head_dim": 64})
    config.num_attention_heads, config.num_key_value_heads = 8, 4
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config).to("cuda", torch.bfloat16).train()
    ids = torch.randint(10, 200, (4, 1024), device="cuda")
    batch = {"input_ids": ids, "labels": ids.clone()}

    def run():
        model.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated()
        loss = model(**batch, use_cache=False).loss
        torch.cuda.synchronize()
        torch.empty(1, device="cuda")  # an allocation makes the allocator release the blocks whose copies ran
        held = torch.cuda.memory_allocated() - before
        loss.backward()
        torch.cuda.synchronize()
        return loss.item(), held, {n: p.grad.float() for n, p in model.named_parameters()}

    loss, held, grads = run()
    offloader = ActivationOffloader(decoder_layers(model), 5, [*model.parameters()]).attach()
    off_loss, off_held, off_grads = run()
    offloader.detach()
    assert offloader.bytes_offloaded > 0
    assert off_loss == pytest.approx(loss, abs=1e-3)
    for name, grad in grads.items():
        torch.testing.assert_close(off_grads[name], grad, atol=1e-2, rtol=1e-2, msg=name)
    assert off_held < 0.5 * held, (off_held, held)
