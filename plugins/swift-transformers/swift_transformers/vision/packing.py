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


def _runs(types: torch.Tensor, kind: int) -> int:
    """How many images (``kind`` 1) or videos (2) a sample holds: runs of their tokens (separated by markers)."""
    flags = types.eq(kind).long()
    return int(((flags[1:] - flags[:-1]) == 1).sum()) + int(flags[:1].sum())


def packed_positions(model: Any, inputs: dict[str, Any]) -> torch.Tensor | None:
    """``(4, 1, L)`` positions of a padding-free vision row (see the module docstring); None if not one."""
    types = inputs.get("mm_token_type_ids")
    text = inputs.get("position_ids")
    rope_index = rope_index_of(model)
    if types is None or text is None or text.dim() != 2 or text.shape[0] != 1 or rope_index is None:
        return None
    ids, types = inputs["input_ids"][0], types[0]
    grids = {1: inputs.get("image_grid_thw"), 2: inputs.get("video_grid_thw")}
    seconds = inputs.get("second_per_grid_ts")
    if grids[2] is not None and _runs(types, 2) != grids[2].shape[0]:
        # Qwen3-VL: a video's temporal patches are separate runs (a timestamp between them); the model
        # splits its grid the same way, one (1, h, w) per patch
        grids[2] = torch.repeat_interleave(grids[2], grids[2][:, 0], dim=0)
        grids[2][:, 0] = 1
    parts, used = [], {1: 0, 2: 0}  # images and videos of the samples before this one
    for start, end in segment_bounds(text[0]):
        counts = {kind: _runs(types[start:end], kind) for kind in (1, 2)}
        mine = {kind: slice(used[kind], used[kind] + counts[kind]) for kind in (1, 2)}
        used = {kind: used[kind] + counts[kind] for kind in (1, 2)}
        extra: dict[str, Any] = {}
        if counts[2]:
            extra["video_grid_thw"] = grids[2][mine[2]]
            if seconds is not None:
                extra["second_per_grid_ts"] = seconds[mine[2]]
        positions, _ = rope_index(
            ids[None, start:end],
            mm_token_type_ids=types[None, start:end],
            image_grid_thw=grids[1][mine[1]] if counts[1] else None,
            attention_mask=torch.ones_like(ids[None, start:end]),
            **extra,
        )
        parts.append(positions)
    return torch.cat([text[None].to(parts[0].dtype), torch.cat(parts, dim=-1)], dim=0)
