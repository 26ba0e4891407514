"""Ulysses sequence parallelism (``--sequence_parallel_size N`` under torchrun).

The ``W`` processes form ``W / N`` groups of ``N`` consecutive ranks; the groups are data
parallel (each reads its own batches, :class:`GroupBatches`). Every rank of a group holds
the group's padding-free batch (one row, samples back to back) and runs the model on its own
contiguous ``1/N`` of the tokens. Everything but attention works token
by token, so it needs nothing more (RoPE reads each token's own ``position_ids``). In attention,
an all-to-all trades the sequence split for a head split: each rank then holds every token for
``heads/N`` heads, attends within each sample (:func:`~.varlen.varlen_sdpa_forward` over the
whole row's positions), and a second all-to-all gives every rank its tokens back with all
heads. Both all-to-alls are autograd functions whose backward is the reverse exchange.

The loss: labels are shifted once over the whole row before it is split (the last token of one
rank's slice predicts the first of the next), each rank sums the cross-entropy of its tokens, and
the sum is divided by the trained-token count of all groups' rows and multiplied by ``W`` —
data-parallel averaging of the gradients across the ``W`` ranks then yields exactly the gradient
of the token-mean loss over all rows, as plain data parallelism gives it. Works with gloo (CPU)
and NCCL.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist

ULYSSES = "swift_ulysses"
IGNORE_INDEX = -100
_group: Any = None  # this rank's sequence-parallel group (set by use_sequence_parallel)


def _size() -> int:
    return dist.get_world_size(_group)


def _exchange(x: torch.Tensor, scatter_dim: int, gather_dim: int) -> torch.Tensor:
    size = _size()
    inputs = [t.contiguous() for t in x.chunk(size, dim=scatter_dim)]
    outputs = [torch.empty_like(inputs[0]) for _ in range(size)]
    dist.all_to_all(outputs, inputs, group=_group)
    return torch.cat(outputs, dim=gather_dim)


class AllToAll(torch.autograd.Function):
    """Split ``scatter_dim`` across the ranks and concatenate what arrives along ``gather_dim``."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, scatter_dim: int, gather_dim: int) -> torch.Tensor:  # noqa: D102
        ctx.dims = (scatter_dim, gather_dim)
        return _exchange(x, scatter_dim, gather_dim)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:  # noqa: D102
        scatter_dim, gather_dim = ctx.dims
        return _exchange(grad, gather_dim, scatter_dim), None, None


def _gather_positions(position_ids: torch.Tensor) -> torch.Tensor:
    parts = [torch.empty_like(position_ids) for _ in range(_size())]
    dist.all_gather(parts, position_ids.contiguous(), group=_group)
    return torch.cat(parts, dim=-1)


def ulysses_forward(
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
    """Attention of this rank's tokens over the whole row (transformers' attention-function signature)."""
    from transformers.integrations.sdpa_attention import repeat_kv

    from swift_transformers.train.varlen import varlen_sdpa_forward

    if attention_mask is not None or position_ids is None:
        raise ValueError(f"{ULYSSES} needs a padding-free row with position_ids and no attention mask")
    groups = query.shape[1] // key.shape[1]
    key, value = repeat_kv(key, groups), repeat_kv(value, groups)
    # [1, heads, tokens/N, dim] → [1, heads/N, tokens, dim]
    query, key, value = (AllToAll.apply(t, 1, 2) for t in (query, key, value))
    out, _ = varlen_sdpa_forward(
        module,
        query,
        key,
        value,
        None,
        position_ids=_gather_positions(position_ids),
        dropout=dropout,
        scaling=scaling,
        sliding_window=sliding_window,
    )
    # [1, tokens, heads/N, dim] → [1, heads/N, tokens, dim] → [1, heads, tokens/N, dim]
    out = AllToAll.apply(out.transpose(1, 2).contiguous(), 2, 1)
    return out.transpose(1, 2).contiguous(), None


def register() -> None:
    """Make ``attn_implementation="swift_ulysses"`` known to transformers (no mask)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    AttentionInterface.register(ULYSSES, ulysses_forward)
    AttentionMaskInterface.register(ULYSSES, lambda *args, **kwargs: None)


def use_sequence_parallel(model: Any, size: int) -> None:
    """Switch ``model`` to Ulysses attention over groups of ``size`` consecutive ranks.

    Every process calls it (creating the groups is collective).

    Raises:
        ValueError: The attention heads do not split evenly across the ranks, or the processes
            do not form whole groups.
    """
    global _group
    from swift_transformers.train.unwrap import inner_model

    target = inner_model(model)
    heads = target.config.get_text_config().num_attention_heads
    if heads % size:
        raise ValueError(f"--sequence_parallel_size {size} must divide the {heads} attention heads")
    world, rank = dist.get_world_size(), dist.get_rank()
    if world % size:
        raise ValueError(f"--sequence_parallel_size {size} must divide the {world} processes")
    for start in range(0, world, size):
        group = dist.new_group(list(range(start, start + size)))  # every rank creates every group
        if start <= rank < start + size:
            _group = group
    register()
    target.set_attn_implementation(ULYSSES)


def data_parallel_rank() -> tuple[int, int]:
    """``(index of this rank's group, number of groups)``."""
    size = _size()
    return dist.get_rank() // size, dist.get_world_size() // size


class GroupBatches:
    """The batches of this rank's group: every ``groups``-th batch of ``batch_sampler``, from ``index``.

    All ranks draw the same batches (same seed) and each group takes its share, as accelerate
    shards batches among plain data-parallel ranks. When the batches do not divide evenly the
    first ones are drawn again to fill the last round, so every group runs the same number of steps.
    """

    def __init__(self, batch_sampler: Any, index: int, groups: int):
        self.batch_sampler, self.index, self.groups = batch_sampler, index, groups

    def __iter__(self):
        batches = list(self.batch_sampler)
        if not batches:
            return iter(())
        batches += batches[: -len(batches) % self.groups]
        return iter(batches[self.index :: self.groups])

    def __len__(self) -> int:
        return -(-len(self.batch_sampler) // self.groups)


def local_slice(batch: dict[str, torch.Tensor], pad_token_id: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """This rank's tokens of a padding-free row, and their labels shifted over the whole row.

    The row is padded to a multiple of the group size (a padding segment of its own, untrained).

    Returns:
        ``(inputs, labels)``: ``input_ids``/``position_ids`` of this rank's slice, and the label each
        of its tokens predicts (``-100`` where nothing is trained).
    """
    world, rank = _size(), dist.get_rank(_group)
    ids, positions, labels = batch["input_ids"], batch["position_ids"], batch["labels"]
    shifted = torch.full_like(labels, IGNORE_INDEX)
    shifted[:, :-1] = labels[:, 1:]
    extra = -ids.shape[1] % world
    if extra:
        ids = torch.cat([ids, ids.new_full((1, extra), pad_token_id)], dim=1)
        positions = torch.cat([positions, torch.arange(extra, device=ids.device)[None]], dim=1)
        shifted = torch.cat([shifted, shifted.new_full((1, extra), IGNORE_INDEX)], dim=1)
    part = slice(rank * ids.shape[1] // world, (rank + 1) * ids.shape[1] // world)
    return {"input_ids": ids[:, part], "position_ids": positions[:, part]}, shifted[:, part]


def sequence_parallel_loss(
    model: Any, batch: dict[str, torch.Tensor], num_items_in_batch: Any, pad_token_id: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """This rank's share of the row's loss (see the module docstring) and ``[correct, trained]`` counts.

    ``model`` is called as the Trainer wrapped it (DDP synchronises the gradients), with
    ``logits_to_keep`` naming the trained positions of this rank's slice: no other logits exist.
    """
    from torch.nn import functional as F

    inputs, labels = local_slice(batch, pad_token_id)
    labels = labels[0]
    trained = labels.ne(IGNORE_INDEX).nonzero().squeeze(1)
    logits = model(**inputs, use_cache=False, logits_to_keep=trained).logits[0].float()
    labels = labels.index_select(0, trained).to(logits.device)
    total = F.cross_entropy(logits, labels, reduction="sum") if labels.numel() else logits.sum() * 0.0
    count = num_items_in_batch
    if count is None:
        count = (batch["labels"][:, 1:] != IGNORE_INDEX).sum()
    # the trained tokens of every group's rows: each group's ranks all hold its count
    count = torch.as_tensor(count, dtype=torch.float64, device=logits.device).clone()
    dist.all_reduce(count)
    count = (count / _size()).to(total.dtype)
    correct = logits.detach().argmax(dim=-1).eq(labels).sum()
    counts = torch.stack([correct, torch.tensor(labels.numel(), device=logits.device)])
    return total / count * dist.get_world_size(), counts
