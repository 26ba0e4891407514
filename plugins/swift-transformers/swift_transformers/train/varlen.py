"""Attention over packed rows that never crosses samples and never builds a dense mask.

A packed row (``--packing``) or a padding-free batch (``--padding_free``) holds several samples
one after another; each restarts its ``position_ids`` at 0. Transformers' default reaction is a
dense ``[batch, 1, length, length]`` block-diagonal mask — quadratic memory in the row length.
Instead, :func:`choose_packed_attention` picks, in this order:

* ``flash_attention_2`` — flash-attn's varlen kernel, when the package is installed and a CUDA
  GPU is present (transformers derives ``cu_seqlens`` from ``position_ids``);
* ``swift_varlen`` — registered here, with two kernels:

  - on a CUDA GPU in half precision, PyTorch's own flash-attention varlen kernel
    (``torch.nn.attention.varlen.varlen_attn``, torch ≥ 2.10): the whole batch in one call, sample
    bounds as ``cu_seqlens`` computed once per forward (not once per layer);
  - elsewhere (CPU, float32, older torch), each sample's slice of the row goes through
    ``scaled_dot_product_attention`` with ``is_causal``, samples one after another (PyTorch's flex
    attention has no backward on CPU).

  No mask exists at all; work is Σ Lᵢ² instead of (Σ Lᵢ)². Padded batches and generation (a mask,
  a cache) get plain SDPA from the same implementation, so a model that trains on packed rows also
  generates.

The choice (implementation and kernel) is logged by the run: :func:`describe_packed_attention`.
"""

from __future__ import annotations

import importlib.util
import inspect
import weakref
from functools import cache
from typing import Any

import torch

VARLEN = "swift_varlen"


def segment_bounds(position_ids: torch.Tensor) -> list[tuple[int, int]]:
    """``(start, end)`` of each sample in a packed row: a new sample wherever the position does not go up by one."""
    starts = [0, *(torch.nonzero(position_ids[1:] - position_ids[:-1] != 1).flatten() + 1).tolist()]
    ends = [*starts[1:], int(position_ids.shape[0])]
    return list(zip(starts, ends))


@cache
def _torch_varlen() -> tuple[Any, dict[str, Any], bool] | None:
    """PyTorch's varlen flash kernel, its causal keyword, whether it takes grouped KV heads; ``None`` before 2.10."""
    try:
        from torch.nn.attention.varlen import varlen_attn
    except ImportError:
        return None
    params = inspect.signature(varlen_attn).parameters
    # torch 2.10 spelled causal masking ``is_causal``; later versions take a flash-style window
    causal = {"window_size": (-1, 0)} if "window_size" in params else {"is_causal": True}
    return varlen_attn, causal, "enable_gqa" in params


def _uses_torch_varlen(query: torch.Tensor) -> bool:
    return query.is_cuda and query.dtype in (torch.float16, torch.bfloat16) and _torch_varlen() is not None


_bounds_cache: tuple[Any, tuple[int, ...], torch.Tensor, int] | None = None


def cu_seqlens(position_ids: torch.Tensor, rows: int, length: int) -> tuple[torch.Tensor, int]:
    """``(cu_seqlens, longest sample)`` of ``rows`` packed rows flattened into one: int32, on the ids' device.

    A sample starts at every row start and wherever the position does not go up by one. Every layer
    of one forward gets the same ``position_ids`` tensor, so the result (and its one device sync, for
    the longest sample) is kept for that tensor object.
    """
    global _bounds_cache
    if _bounds_cache is not None and _bounds_cache[0]() is position_ids and _bounds_cache[1] == (rows, length):
        return _bounds_cache[2], _bounds_cache[3]
    flat = position_ids.expand(rows, length).reshape(-1)
    starts = torch.ones_like(flat, dtype=torch.bool)
    starts[1:] = flat[1:] != flat[:-1] + 1
    starts[::length] = True
    total = torch.tensor([flat.numel()], device=flat.device)
    cu = torch.cat([torch.nonzero(starts).flatten(), total]).to(torch.int32)
    longest = int((cu[1:] - cu[:-1]).max())
    _bounds_cache = (weakref.ref(position_ids), (rows, length), cu, longest)
    return cu, longest


def _torch_varlen_forward(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, position_ids: torch.Tensor, scaling: float | None
) -> torch.Tensor:
    """All samples of all rows in one call of PyTorch's varlen flash kernel; ``[batch, length, heads, dim]``."""
    from transformers.integrations.sdpa_attention import repeat_kv

    kernel, causal, takes_gqa = _torch_varlen()
    rows, heads, length, dim = query.shape
    if not takes_gqa:
        key, value = repeat_kv(key, heads // key.shape[1]), repeat_kv(value, heads // value.shape[1])
    cu, longest = cu_seqlens(position_ids, rows, length)
    flat = lambda t: t.transpose(1, 2).reshape(rows * length, t.shape[1], dim)  # noqa: E731
    extra = {"enable_gqa": True} if takes_gqa and key.shape[1] != heads else {}
    out = kernel(flat(query), flat(key), flat(value), cu, cu, longest, longest, scale=scaling, **causal, **extra)
    return out.reshape(rows, length, heads, dim)


def varlen_sdpa_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    *,
    position_ids: torch.Tensor | None = None,
    dropout: float = 0.0,
    scaling: float | None = None,
    sliding_window: int | None = None,
    **_: Any,
) -> tuple[torch.Tensor, None]:
    """Causal attention within each sample of each row (transformers' attention-function signature).

    ``query``: ``[batch, heads, length, dim]``; ``key``/``value`` may have fewer (grouped) heads.
    Returns ``[batch, length, heads, dim]`` as transformers' attention functions do. A batch that
    comes with a padding mask, and generation with a cache, get transformers' SDPA instead: one
    implementation serves packed training rows and the same model's generation.
    """
    from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward

    if attention_mask is not None or query.shape[2] != key.shape[2]:
        # a padded batch or a generation step with a cache: plain SDPA with transformers' mask
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, sliding_window=sliding_window
        )
    if sliding_window is not None:
        raise ValueError(f"{VARLEN} does not implement sliding-window attention on packed rows")
    if position_ids is not None and position_ids.dim() == 2 and _uses_torch_varlen(query):
        if not (dropout and module.training):  # the varlen kernel takes no dropout
            return _torch_varlen_forward(query, key, value, position_ids, scaling), None
    groups = query.shape[1] // key.shape[1]
    key, value = repeat_kv(key, groups), repeat_kv(value, groups)
    if position_ids is None:
        position_ids = torch.arange(query.shape[2], device=query.device).expand(query.shape[0], -1)
    rows = []
    for b in range(query.shape[0]):
        parts = []
        for start, end in segment_bounds(position_ids[b if position_ids.shape[0] > 1 else 0]):
            parts.append(
                torch.nn.functional.scaled_dot_product_attention(
                    query[b : b + 1, :, start:end],
                    key[b : b + 1, :, start:end],
                    value[b : b + 1, :, start:end],
                    dropout_p=dropout if module.training else 0.0,
                    scale=scaling,
                    is_causal=end - start > 1,
                )
            )
        rows.append(torch.cat(parts, dim=2))
    return torch.cat(rows, dim=0).transpose(1, 2).contiguous(), None


def _mask(*args: Any, attention_mask: Any = None, **kwargs: Any) -> Any:
    """No mask for rows without padding (packed rows above all); SDPA's mask for padded batches."""
    if attention_mask is None:
        return None
    from transformers.masking_utils import sdpa_mask

    return sdpa_mask(*args, attention_mask=attention_mask, **kwargs)


def register() -> None:
    """Make ``attn_implementation="swift_varlen"`` known to transformers (attention and mask)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    AttentionInterface.register(VARLEN, varlen_sdpa_forward)
    AttentionMaskInterface.register(VARLEN, _mask)


def choose_packed_attention() -> str:
    """The attention implementation for packed rows (see the module docstring)."""
    if importlib.util.find_spec("flash_attn") is not None and torch.cuda.is_available():
        return "flash_attention_2"
    register()
    return VARLEN


def describe_packed_attention(model: Any) -> str:
    """What :func:`use_packed_attention` chose for ``model``, with the kernel, for the run's log."""
    from swift_transformers.train.unwrap import inner_model

    impl = inner_model(model).config._attn_implementation
    if impl != VARLEN:
        return impl
    if torch.cuda.is_available() and _torch_varlen() is not None:
        return f"{VARLEN} (torch's flash varlen kernel for CUDA half-precision rows)"
    return f"{VARLEN} (one SDPA call per sample)"


def use_packed_attention(model: Any) -> str:
    """Switch ``model`` (a transformers model, or a peft model around one) to :func:`choose_packed_attention`.

    Returns:
        The implementation now in use.
    """
    impl = choose_packed_attention()
    from swift_transformers.train.unwrap import inner_model

    inner_model(model).set_attn_implementation(impl)
    return impl
