"""``--quant_method fp8``: the frozen base weights of a LoRA run stored and multiplied in FP8.

After the model loads, every ``nn.Linear`` of it except the output head (and layers whose
sizes are not multiples of 16, which FP8 matrix multiplication needs) becomes an
:class:`Fp8Linear`: its weight rounded to ``float8_e4m3fn`` with one scale per output row (half
the memory of bf16). The forward quantizes each input row the same way and multiplies with
``torch._scaled_mm`` (FP8 tensor cores on Ada/Hopper GPUs run it at twice the bf16 rate; CPUs
run it too); the backward gives the input's gradient from the weight dequantized to the input's
dtype, one layer at a time. The weight never trains, so no weight gradient exists — hence the
LoRA-family tuners only: the adapters (peft's ``lora.Linear`` around each ``Fp8Linear``) stay
in float32 next to the FP8 base, as over a bitsandbytes-quantized one.

The numbers change as for any quantized base (QLoRA-style): a linear layer's output differs from
bf16 by a few percent (relative norm), the training loss slightly. Merging an adapter
(``swift export --merge_lora``) reloads the base unquantized.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

E4M3 = torch.float8_e4m3fn
_MAX = torch.finfo(E4M3).max


def quantize_rows(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` (2-D) in FP8 with one float32 scale per row: ``x ≈ q.float() * scale``."""
    amax = x.abs().amax(dim=-1, keepdim=True).float().clamp(min=1e-12)
    scale = amax / _MAX
    return (x.float() / scale).clamp(-_MAX, _MAX).to(E4M3), scale


class _LastInput:
    """The last input quantized, with its FP8 form: q, k and v (gate and up) read the same input.

    One tuple ``(input, version, (fp8, scales))``, read and replaced whole (engines may run forwards
    from several threads). The input itself is held, not its address, so no other tensor can match.
    """

    entry: tuple[torch.Tensor, int, tuple[torch.Tensor, torch.Tensor]] | None = None

    @classmethod
    def quantize(cls, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        entry = cls.entry
        if entry is not None and entry[0] is x and entry[1] == x._version:
            return entry[2]
        with torch.no_grad():
            quantized = quantize_rows(x.reshape(-1, x.shape[-1]))
        cls.entry = (x, x._version, quantized)
        return quantized


class _Fp8Matmul(torch.autograd.Function):
    """``x @ W.T`` from both in FP8 (row scales); the gradient of ``x`` through the dequantized ``W``."""

    @staticmethod
    def forward(  # noqa: D102
        ctx: Any,
        x: torch.Tensor,
        qx: torch.Tensor,
        x_scale: torch.Tensor,
        weight: torch.Tensor,
        weight_scale: torch.Tensor,
    ) -> torch.Tensor:
        # CUDA's row-scaled FP8 kernel writes bf16 only; a float32 model gets its output cast
        out_dtype = torch.bfloat16 if x.is_cuda else x.dtype
        # _scaled_mm wants the second operand column-major: W.T of a row-major W is
        out = torch._scaled_mm(qx, weight.t(), scale_a=x_scale, scale_b=weight_scale.t(), out_dtype=out_dtype)
        ctx.save_for_backward(weight, weight_scale)
        ctx.dtype = x.dtype
        return out.to(x.dtype).reshape(*x.shape[:-1], out.shape[-1])

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # noqa: D102
        weight, weight_scale = ctx.saved_tensors
        return grad @ (weight.float() * weight_scale).to(ctx.dtype), None, None, None, None


class Fp8Linear(nn.Linear):
    """A frozen linear layer whose weight is FP8 with per-row scales (see the module docstring).

    A ``nn.Linear`` to peft and to transformers (``in_features``/``out_features``, ``bias``), but
    with no ``weight`` parameter: the FP8 bytes are the ``qweight`` buffer (``uint8``, so that
    tools casting floating-point buffers leave them alone) and ``weight_scale`` (``[out, 1]``).
    """

    def __init__(self, linear: nn.Linear):
        nn.Module.__init__(self)
        self.in_features, self.out_features = linear.in_features, linear.out_features
        with torch.no_grad():
            q, scale = quantize_rows(linear.weight.detach())
        self.register_parameter("weight", None)
        self.register_buffer("qweight", q.view(torch.uint8))
        self.register_buffer("weight_scale", scale)
        self.bias = linear.bias
        if self.bias is not None:
            self.bias.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        qx, x_scale = _LastInput.quantize(x)
        out = _Fp8Matmul.apply(x, qx, x_scale, self.qweight.view(E4M3), self.weight_scale)
        return out + self.bias.to(out.dtype) if self.bias is not None else out

    def dequantized(self) -> torch.Tensor:
        """The weight as the bf16 it approximates."""
        return (self.qweight.view(E4M3).float() * self.weight_scale).to(torch.bfloat16)

    def extra_repr(self) -> str:  # noqa: D102
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}, fp8"


def quantize_fp8(model: nn.Module) -> dict[str, int]:
    """Replace ``model``'s linear layers by :class:`Fp8Linear` (not the output head, not sizes off 16).

    Returns:
        ``{"layers", "kept", "bytes_before", "bytes_after"}`` for the log line.
    """
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    report = {"layers": 0, "kept": 0, "bytes_before": 0, "bytes_after": 0}
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if type(child) is not nn.Linear:
                continue
            if child is head or child.in_features % 16 or child.out_features % 16:
                report["kept"] += 1
                continue
            fp8 = Fp8Linear(child)
            setattr(module, child_name, fp8)
            report["layers"] += 1
            report["bytes_before"] += child.weight.numel() * child.weight.element_size()
            report["bytes_after"] += fp8.qweight.numel() + fp8.weight_scale.numel() * 4
    return report
