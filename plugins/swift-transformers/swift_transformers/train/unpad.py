"""Padded batches computed as one padding-free row, for trainers that build their own padded batches.

trl's preference trainers (DPO, KTO, CPO/ORPO/SimPO) pad chosen and rejected completions to the
longest of the batch and keep their bookkeeping (completion masks, ``[chosen; rejected]`` halves,
per-token log-probabilities) in that padded layout. :func:`unpad_padded_batches` leaves all of it
alone and changes only the backbone (the decoder stack under the LM head): a call with a 2-D
``attention_mask`` runs on the real tokens alone, concatenated into one row whose ``position_ids``
restart per sample (the packed-row attention of :mod:`.varlen` keeps the samples apart), and the
hidden states are scattered back to the padded layout (zeros at padding) before the head. So the
pairs stay aligned by construction, no padding token is computed, and the losses equal the padded
run's (a test compares losses and gradients for DPO and KTO).

Positions restart at 0 per sample even where the batch was left-padded: the rotary embedding is
relative, so each sample's attention is unchanged. Calls with a cache (generation), or asking for
every layer's hidden states, attentions or router logits (whose layout the caller reads), go
through the model unchanged.
"""

from __future__ import annotations

import functools
from typing import Any

import torch

from swift_transformers.train.unwrap import inner_model

_MARK = "_swift_unpadded"
_KEEP_PADDED = ("output_hidden_states", "output_attentions", "output_router_logits")


def _unpadded_forward(original: Any) -> Any:
    @functools.wraps(original)
    def forward(*args: Any, **kwargs: Any) -> Any:
        mask = kwargs.get("attention_mask")
        ids, embeds = kwargs.get("input_ids"), kwargs.get("inputs_embeds")
        if (
            args
            or not torch.is_tensor(mask)
            or mask.dim() != 2
            or kwargs.get("past_key_values") is not None
            or kwargs.get("use_cache")
            or any(kwargs.get(flag) for flag in _KEEP_PADDED)
            or (ids is None) == (embeds is None)
        ):
            return original(*args, **kwargs)
        keep = mask.bool()
        positions = kwargs.get("position_ids")
        if torch.is_tensor(positions) and positions.dim() == 2:
            positions = positions.expand_as(mask)[keep]
        else:
            positions = (mask.long().cumsum(1) - 1)[keep]
        flat = dict(kwargs, attention_mask=None, position_ids=positions.unsqueeze(0), use_cache=False)
        if ids is not None:
            flat["input_ids"] = ids[keep].unsqueeze(0)
        else:
            flat["inputs_embeds"] = embeds[keep].unsqueeze(0)
        flat.pop("cache_position", None)
        out = original(**flat)
        row = out.last_hidden_state[0]
        hidden = row.new_zeros(*mask.shape, row.shape[-1])
        hidden[keep] = row
        out.last_hidden_state = hidden
        return out

    setattr(forward, _MARK, True)
    return forward


def unpad_padded_batches(model: Any) -> None:
    """Make ``model``'s backbone compute padded batches as one padding-free row (see the module docstring).

    ``model``: a causal LM or a peft/DDP wrapper around one. Also switches its attention to the
    packed-row implementation (:func:`.varlen.use_packed_attention`). Idempotent.
    """
    from swift_transformers.train.varlen import use_packed_attention

    causal = inner_model(model)
    backbone = causal.get_decoder() if hasattr(causal, "get_decoder") else None
    if backbone is None or backbone is causal:
        raise ValueError(f"{type(causal).__name__} has no decoder stack to run padding-free")
    use_packed_attention(causal)
    if not getattr(backbone.forward, _MARK, False):
        backbone.forward = _unpadded_forward(backbone.forward)
