"""``--quant_method fp8``: frozen base weights in FP8 (per-row scales), LoRA trained over them.

CPU runs ``torch._scaled_mm`` on FP8 too, so the layer, the model swap and a LoRA run are checked
here; the GPU test checks CUDA's row-scaled kernel (Ada/Hopper).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from swift_transformers.models.fp8 import Fp8Linear, quantize_fp8
from torch import nn


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a.float() - b.float()).norm() / b.float().norm()).item()


def _assert_close_to(fp8: Fp8Linear, linear: nn.Linear, x: torch.Tensor) -> None:
    """Output within 6 % of the bf16 layer's, the input's gradient within 8 % (relative norms)."""
    expected = linear(x)
    out = fp8(x)
    assert out.shape == expected.shape and out.dtype == torch.bfloat16
    assert _relative(out, expected) < 0.06
    out.float().square().sum().backward()
    ours = x.grad.clone()
    x.grad = None
    expected.float().square().sum().backward()
    assert _relative(ours, x.grad) < 0.08


def test_an_fp8_layer_is_close_to_its_linear_holds_half_the_bytes_and_passes_gradients_to_its_input():
    torch.manual_seed(0)
    linear = nn.Linear(256, 512).to(torch.bfloat16)
    fp8 = Fp8Linear(linear)
    assert fp8.weight is None and fp8.qweight.dtype == torch.uint8
    assert fp8.qweight.numel() * fp8.qweight.element_size() * 2 == linear.weight.numel() * linear.weight.element_size()
    assert _relative(fp8.dequantized(), linear.weight) < 0.05
    _assert_close_to(fp8, linear, torch.randn(3, 7, 256, dtype=torch.bfloat16, requires_grad=True))
    assert not any(p.requires_grad for p in fp8.parameters())  # the bias is frozen with the weight


def test_layers_reading_the_same_input_quantize_it_once(tiny_model_dir, monkeypatch):
    """q, k and v read one normed input, gate and up another: 4 quantizations per layer, not 7."""
    from swift_transformers.models import fp8
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    quantize_fp8(model)
    calls = []
    real = fp8.quantize_rows
    monkeypatch.setattr(fp8, "quantize_rows", lambda x: calls.append(tuple(x.shape)) or real(x))
    ids = torch.randint(10, 200, (2, 16))
    with torch.no_grad():
        first = model(input_ids=ids).logits
        assert len(calls) == 4 * 2
        again = model(input_ids=ids).logits  # new tensors, quantized anew
    assert len(calls) == 16 and torch.equal(first, again)


def test_the_model_swap_keeps_the_head_and_odd_sizes_and_the_logits_close(tiny_model_dir):
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    model.model.layers[0].mlp.odd = nn.Linear(24, 40)  # 24 is not a multiple of 16: stays
    ids = torch.randint(10, 200, (2, 16))
    with torch.no_grad():
        expected = model(input_ids=ids).logits
    report = quantize_fp8(model)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert report["layers"] == sum(isinstance(m, Fp8Linear) for m in linears) == 14  # 7 per layer, 2 layers
    assert report["kept"] == 2 and type(model.lm_head) is nn.Linear and type(model.model.layers[0].mlp.odd) is nn.Linear
    assert report["bytes_after"] < 0.3 * report["bytes_before"]  # float32 tiny model: 4 bytes → 1 (+ scales)
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    assert _relative(logits, expected) < 0.1
    assert (logits.argmax(-1) == expected.argmax(-1)).float().mean() > 0.8


def test_lora_over_an_fp8_base_trains_and_the_base_stays_as_it_was(train_args, sft, read_logs, capfd):
    result = sft(train_args(quant_method="fp8", max_steps=12, learning_rate=1e-2))
    err = capfd.readouterr().err
    assert "fp8: 14 linear layers stored in FP8" in err and "1 kept" in err
    losses = [r["loss"] for r in read_logs(result["output_dir"]) if "loss" in r]
    assert losses[-1] < losses[0] - 0.3
    checkpoint = Path(result["last_model_checkpoint"])
    assert (checkpoint / "adapter_model.safetensors").is_file()
    assert json.loads((Path(result["output_dir"]) / "args.json").read_text())["quant_method"] == "fp8"


def test_fp8_is_refused_where_it_cannot_apply(train_args, sft, tmp_path):
    from swift.kernel import UsageError

    out = str(tmp_path / "out")
    cases = [
        ({"train_type": "full"}, "train LoRA over them .* not full"),
        ({"quant_bits": 4}, "stores 8 bits only"),
        ({"use_dora": True}, "--use_dora reads the base weights"),
        ({"init_lora_weights": "pissa"}, "--init_lora_weights pissa reads the base weights"),
        ({"deepspeed": "zero2"}, "cannot be combined with --deepspeed"),
    ]
    for extra, message in cases:
        with pytest.raises(UsageError, match=message):
            sft(train_args(quant_method="fp8", output_dir=out, **extra))
    assert not Path(out).exists()


def test_fp8_with_another_inference_engine_or_a_vllm_rollout_is_refused(tiny_model_dir, chat_file):
    from swift_transformers.checks import check_args

    from swift.arguments import InferArguments, RLHFArguments
    from swift.kernel import UsageError

    with pytest.raises(UsageError, match="--quant_method fp8 applies to the pt engine"):
        check_args("infer", InferArguments(model=tiny_model_dir, quant_method="fp8", infer_backend="vllm"))
    grpo = RLHFArguments(model=tiny_model_dir, rlhf_type="grpo", quant_method="fp8", use_vllm=True, dataset=[chat_file])
    with pytest.raises(UsageError, match="--quant_method fp8 with --use_vllm"):
        check_args("rlhf", grpo)


@pytest.mark.gpu
@pytest.mark.skipif(
    not torch.cuda.is_available() or torch.cuda.get_device_capability() < (8, 9),
    reason="CUDA's FP8 matrix multiplication needs an Ada or Hopper GPU",
)
def test_on_a_gpu_the_row_scaled_fp8_kernel_matches_the_bf16_layer():
    torch.manual_seed(0)
    linear = nn.Linear(3584, 512, device="cuda", dtype=torch.bfloat16)
    x = torch.randn(4, 1000, 3584, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    _assert_close_to(Fp8Linear(linear), linear, x)
