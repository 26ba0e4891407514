"""How a GRPO run cuts data into generation rounds and micro-batches.

One *round* samples ``G`` completions for each of ``P`` prompts on every process and
trains on them in ``S`` micro-batches of ``per_device_train_batch_size`` completions,
``num_iterations`` times over. The data loader therefore yields each block of ``P``
prompt rows ``S × num_iterations`` times in a row: the trainer samples on the first
and reads its buffer on the others (so the Trainer's step counting, gradient
accumulation and checkpoint resumption work unchanged).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from swift.kernel import UsageError


@dataclass(frozen=True)
class RoundShape:
    """Sizes of a generation round on one process.

    Attributes:
        num_generations: ``G``, completions per prompt.
        prompts: ``P``, prompts per round.
        micro_batch: Completions per micro-batch (``--per_device_train_batch_size``).
        steps: ``S``, micro-batches per round (``--steps_per_generation``).
        iterations: Passes over each round (``--num_iterations``).
    """

    num_generations: int
    prompts: int
    micro_batch: int
    steps: int
    iterations: int = 1

    @property
    def completions(self) -> int:
        """Completions sampled per round on this process."""
        return self.prompts * self.num_generations


def round_shape(args: Any, world_size: int = 1) -> RoundShape:
    """The round of ``args``.

    ``--generation_batch_size`` (global) or ``--steps_per_generation`` (default ``--gradient_accumulation_steps``)
    micro-batches of ``--per_device_train_batch_size``.

    Raises:
        UsageError: When the completions of a round do not split into groups of
            ``--num_generations`` or into micro-batches.
    """
    g, micro = args.num_generations, args.per_device_train_batch_size
    if g < 1:
        raise UsageError(f"--num_generations must be >= 1, got {g}")
    if args.generation_batch_size:
        if args.generation_batch_size % (world_size * micro):
            raise UsageError(
                f"--generation_batch_size {args.generation_batch_size} must be a multiple of "
                f"--per_device_train_batch_size {micro} × {world_size} processes"
            )
        steps = args.generation_batch_size // (world_size * micro)
    else:
        steps = args.steps_per_generation or args.gradient_accumulation_steps
    completions = micro * steps
    if completions % g:
        raise UsageError(
            f"a generation round holds per_device_train_batch_size ({micro}) × "
            f"steps_per_generation ({steps}) = {completions} completions per process, which "
            f"is not a multiple of --num_generations {g}: make --per_device_train_batch_size "
            f"(or --gradient_accumulation_steps / --steps_per_generation) a multiple of it"
        )
    return RoundShape(g, completions // g, micro, steps, max(1, args.num_iterations))


class GroupBatchSampler:
    """Yields blocks of ``P`` prompt indices, each ``repeats`` times (see the module docstring).

    Each process gets its own blocks (block ``k`` of an epoch goes to rank
    ``k % world``); the last incomplete round is dropped so every process runs the
    same number of steps.

    Args:
        n_rows: Prompts in the dataset.
        prompts: ``P``.
        repeats: ``S × num_iterations``.
        shuffle: Shuffle the prompts each epoch (``--dataset_shuffle``).
        seed: Seed of the shuffle (epoch ``e`` uses ``seed + e``).
        rank: This process.
        world: Number of processes.
    """

    def __init__(
        self,
        n_rows: int,
        prompts: int,
        repeats: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        rank: int = 0,
        world: int = 1,
    ):
        self.n_rows, self.prompts, self.repeats = n_rows, prompts, repeats
        self.shuffle, self.seed, self.rank, self.world = shuffle, seed, rank, world
        self.epoch = 0
        if self.rounds < 1:
            raise UsageError(
                f"{n_rows} prompt rows cannot fill one generation round of {prompts} prompts "
                f"× {world} processes: add data or lower the round size"
            )

    @property
    def rounds(self) -> int:
        """Rounds per epoch on each process."""
        return self.n_rows // (self.prompts * self.world)

    def set_epoch(self, epoch: int) -> None:
        """Use the order of ``epoch`` on the next iteration."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self.rounds * self.repeats

    def __iter__(self) -> Iterator[list[int]]:
        order = list(range(self.n_rows))
        if self.shuffle:
            random.Random(self.seed + self.epoch).shuffle(order)
        self.epoch += 1
        for r in range(self.rounds):
            k = r * self.world + self.rank
            block = order[k * self.prompts : (k + 1) * self.prompts]
            for _ in range(self.repeats):
                yield block


def keep_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Collate function: a batch of prompts stays a list of rows (sampling needs the columns)."""
    return rows


def pad_micro_batch(
    sequences: Sequence[list[int]], masks: Sequence[list[int]], pad_id: int, device: Any = None
) -> dict[str, Any]:
    """Right-padded ``input_ids``, ``attention_mask``, ``completion_mask`` and ``start``.

    ``start`` is the first position any completion token of the batch occupies: the
    loss only needs log-probabilities from there on.
    """
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(sequences), width), dtype=torch.long)
    completion = torch.zeros((len(sequences), width), dtype=torch.long)
    firsts = []
    for i, (seq, mask) in enumerate(zip(sequences, masks)):
        ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        attention[i, : len(seq)] = 1
        completion[i, : len(mask)] = torch.tensor(mask, dtype=torch.long)
        if any(mask):
            firsts.append(mask.index(1))
    # position 0 has no previous token to predict it from
    start = max(1, min(firsts)) if firsts else width - 1
    batch = {"input_ids": ids, "attention_mask": attention, "completion_mask": completion}
    if device is not None:
        batch = {k: v.to(device) for k, v in batch.items()}
    batch["start"] = start
    return batch


def media_inputs(media: Sequence[dict[str, Any]], width: int, device: Any = None, dtype: Any = None) -> dict[str, Any]:
    """The image inputs of a micro-batch: tensors concatenated, per-token modality right-padded to ``width``.

    Floating tensors (pixels) take the model's ``dtype``.
    """
    from swift_transformers.api import MEDIA_TENSOR_KEYS, TOKEN_TYPE_KEYS

    out: dict[str, Any] = {}
    for key in MEDIA_TENSOR_KEYS:
        parts = [torch.as_tensor(m[key]) for m in media if m.get(key) is not None]
        if parts:
            out[key] = torch.cat(parts)
    for key in TOKEN_TYPE_KEYS:
        if any(key in m for m in media):
            types = torch.zeros((len(media), width), dtype=torch.long)
            for i, m in enumerate(media):
                row = m.get(key) or []
                types[i, : len(row)] = torch.as_tensor(row, dtype=torch.long)
            out[key] = types
    if dtype is not None:
        out = {k: v.to(dtype) if v.is_floating_point() else v for k, v in out.items()}
    if device is not None:
        out = {k: v.to(device) for k, v in out.items()}
    return out
