"""Padding-free rows of vision-language samples: each sample's own 3-D rope positions.

Qwen-VL (and GLM-4.1V) place image tokens on a (time, height, width) grid: their rope
positions are not ``0 … n-1``. A padding-free row concatenates samples, so the positions are
computed per sample with the model's own ``get_rope_index`` (from the sample's ids, image grid
and token types) and stacked as transformers 5 takes them: ``[text positions; t; h; w]`` of
shape ``(4, 1, L)``. The text row restarts at 0 for every sample, which is how the packed-row
attention (:mod:`swift_transformers.train.varlen`) finds where samples start.
"""

from __future__ import annotations

from typing import Any

import torch

from swift_transformers.train.unwrap import inner_model
from swift_transformers.train.varlen import segment_bounds


def rope_index_of(model: Any) -> Any:
    """The model's ``get_rope_index`` (Qwen-VL, GLM-4.1V), or None for a model with 1-D positions."""
    base = inner_model(model)
    for owner in (getattr(base, "model", None), base):
        fn = getattr(owner, "get_rope_index", None)
        if callable(fn):
            return fn
    return None


def _image_runs(types: torch.Tensor) -> int:
    """How many images a sample holds: runs of image tokens (images are separated by their markers)."""
    flags = types.bool().long()
    return int(((flags[1:] - flags[:-1]) == 1).sum()) + int(flags[:1].sum())


def packed_positions(model: Any, inputs: dict[str, Any]) -> torch.Tensor | None:
    """``(4, 1, L)`` positions of a padding-free vision row (see the module docstring); None if not one."""
    types = inputs.get("mm_token_type_ids")
    text = inputs.get("position_ids")
    rope_index = rope_index_of(model)
    if types is None or text is None or text.dim() != 2 or text.shape[0] != 1 or rope_index is None:
        return None
    ids, types, grid = inputs["input_ids"][0], types[0], inputs.get("image_grid_thw")
    parts, used = [], 0
    for start, end in segment_bounds(text[0]):
        n = _image_runs(types[start:end])
        sample_grid = grid[used : used + n] if n else None
        used += n
        positions, _ = rope_index(
            ids[None, start:end],
            mm_token_type_ids=types[None, start:end],
            image_grid_thw=sample_grid,
            attention_mask=torch.ones_like(ids[None, start:end]),
        )
        parts.append(positions)
    return torch.cat([text[None].to(parts[0].dtype), torch.cat(parts, dim=-1)], dim=0)
