"""Batches of encoded samples, and packing of samples into fixed-length rows.

A packed row concatenates several samples. Each keeps its own ``position_ids``
(restarting at 0) and the row carries **no** ``attention_mask``: the packed-row
attention (:mod:`.varlen`, switched on by the trainer) attends within each sample
only, with no mask built.
The first label of every sample is ``-100``: otherwise the last token of one
sample would be trained to predict the first token of the next.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import Dataset as TorchDataset

IGNORE_INDEX = -100
#: Per-token sequences of vision-language rows, padded with 0 (text) like the ids.
TOKEN_TYPE_KEYS = ("mm_token_type_ids", "token_type_ids")
#: Image, video and audio tensors of multimodal rows: each row's are concatenated along the first dimension.
MEDIA_TENSOR_KEYS = (
    "pixel_values",
    "image_grid_thw",
    "image_position_ids",
    "image_sizes",
    "batch_num_images",
    "pixel_values_videos",
    "video_grid_thw",
    "second_per_grid_ts",
    "input_features",
    "feature_attention_mask",
)


def _same_shape(parts: list[torch.Tensor]) -> list[torch.Tensor]:
    """Zero-pad each tensor to the largest shape past the first dimension (LLaVA-NeXT's tiles per image).

    As the processors pad a batch: the model reads the real sizes (``image_sizes``), not the padding.
    """
    shape = [max(p.shape[d] for p in parts) for d in range(1, parts[0].dim())]
    out = []
    for part in parts:
        if list(part.shape[1:]) == shape:
            out.append(part)
            continue
        padded = part.new_zeros((part.shape[0], *shape))
        padded[tuple(slice(0, n) for n in part.shape)] = part
        out.append(padded)
    return out


def media_batch(rows: Sequence[dict[str, Any]], width: int) -> dict[str, torch.Tensor]:
    """The media inputs of a batch: token types padded to ``width``, image tensors concatenated.

    Empty when no row has images (a text batch, or a text-only batch of a vision model).
    """
    batch: dict[str, torch.Tensor] = {}
    for key in MEDIA_TENSOR_KEYS:
        parts = [torch.as_tensor(r[key]) for r in rows if r.get(key) is not None and len(r[key])]
        if parts:
            batch[key] = torch.cat(_same_shape(parts))
    for key in TOKEN_TYPE_KEYS:
        if any(r.get(key) is not None for r in rows) and batch:
            types = torch.zeros((len(rows), width), dtype=torch.long)
            for i, row in enumerate(rows):
                if row.get(key) is not None:
                    types[i, : len(row[key])] = torch.as_tensor(row[key])
            batch[key] = types
    return batch


@dataclass
class PaddingCollator:
    """Pad ``input_ids``/``labels`` (and ``position_ids`` of packed rows) into tensors.

    Unpacked batches get an ``attention_mask``; packed batches get ``position_ids``
    instead (see the module docstring). Padding goes on the right for training.

    Attributes:
        pad_token_id: Id used to pad ``input_ids``.
        pad_to_multiple_of: Round the padded length up to a multiple of this.
    """

    pad_token_id: int
    pad_to_multiple_of: int | None = None

    def __call__(self, rows: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """Pad (or pack) ``rows`` into a batch of tensors with labels and attention."""
        packed = "position_ids" in rows[0]
        width = max(len(r["input_ids"]) for r in rows)
        if self.pad_to_multiple_of:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        batch = {
            "input_ids": torch.full((len(rows), width), self.pad_token_id, dtype=torch.long),
            "labels": torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long),
        }
        scaled = rows[0].get("loss_scale") is not None
        if scaled:  # --loss_scale weights; padding weighs 0
            batch["loss_scale"] = torch.zeros((len(rows), width), dtype=torch.float32)
        if packed:
            # padding forms its own segment (positions restart at 0), so it never joins a sample
            batch["position_ids"] = torch.arange(width).repeat(len(rows), 1)
        else:
            batch["attention_mask"] = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            n = len(row["input_ids"])
            batch["input_ids"][i, :n] = torch.as_tensor(row["input_ids"])
            labels = row.get("labels")
            batch["labels"][i, :n] = torch.as_tensor(labels if labels is not None else row["input_ids"])
            if scaled:
                batch["loss_scale"][i, :n] = torch.as_tensor(row["loss_scale"], dtype=torch.float32)
            if packed:
                batch["position_ids"][i, :n] = torch.as_tensor(row["position_ids"])
                batch["position_ids"][i, n:] = torch.arange(width - n)
            else:
                batch["attention_mask"][i, :n] = 1
        batch.update(media_batch(rows, width))
        return batch


@dataclass
class ClassificationCollator:
    """Pad ``input_ids`` of classification rows; ``labels`` become one value (or vector) per row.

    Class indices (``single_label_classification``) become a ``long`` tensor, multi-hot
    vectors and regression targets a ``float`` one, as the model's loss expects.

    Attributes:
        pad_token_id: Id used to pad ``input_ids``; the head reads the last non-pad token.
    """

    pad_token_id: int

    def __call__(self, rows: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """Right-padded ``input_ids``/``attention_mask`` and stacked ``labels``."""
        width = max(len(r["input_ids"]) for r in rows)
        input_ids = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, row in enumerate(rows):
            n = len(row["input_ids"])
            input_ids[i, :n] = torch.as_tensor(row["input_ids"])
            attention_mask[i, :n] = 1
        batch = {"input_ids": input_ids, "attention_mask": attention_mask}
        labels = [r.get("labels") for r in rows]
        if all(label is not None for label in labels):
            integral = all(isinstance(label, int) and not isinstance(label, bool) for label in labels)
            batch["labels"] = torch.tensor(labels, dtype=torch.long if integral else torch.float32)
        return batch


@dataclass
class PaddingFreeCollator:
    """``--padding_free``: the whole batch as one row, samples back to back, no padding at all.

    The row is :func:`pack_samples` of the batch (per-sample ``position_ids``, the first label of
    every sample ``-100``), batched by :class:`PaddingCollator` — so it carries no
    ``attention_mask`` and the packed-row attention keeps the samples apart.
    """

    pad_token_id: int

    def __call__(self, rows: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """One ``[1, Σ lengths]`` row of ``input_ids``/``labels``/``position_ids``."""
        return PaddingCollator(self.pad_token_id)([pack_samples(rows)])


def plan_packs(lengths: Sequence[int], max_length: int) -> list[list[int]]:
    """Group sample indices into packs of at most ``max_length`` tokens.

    Best-fit decreasing: the longest samples are placed first, each into the
    fullest pack it still fits. Deterministic for equal inputs.

    Args:
        lengths: Token count of each sample.
        max_length: Capacity of a packed row.

    Returns:
        Lists of indices; within a pack, indices are in dataset order.
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    packs: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (room left, pack index), kept sorted
    for i in order:
        size = lengths[i]
        if size > max_length:
            raise ValueError(f"sample {i} has {size} tokens, more than max_length={max_length}")
        slot = bisect.bisect_left(free, (size, -1))
        if slot == len(free):
            packs.append([i])
            bisect.insort(free, (max_length - size, len(packs) - 1))
        else:
            room, pack = free.pop(slot)
            packs[pack].append(i)
            bisect.insort(free, (room - size, pack))
    return [sorted(p) for p in packs]


def pack_samples(samples: Sequence[dict[str, Any]]) -> dict[str, list]:
    """Concatenate encoded samples into one packed row (see the module docstring)."""
    row: dict[str, Any] = {"input_ids": [], "labels": [], "position_ids": []}
    scaled = samples[0].get("loss_scale") is not None if samples else False
    if scaled:
        row["loss_scale"] = []
    # a vision sample's image tensors follow in order, its token types beside its ids
    for key in MEDIA_TENSOR_KEYS:
        parts = [torch.as_tensor(s[key]) for s in samples if s.get(key) is not None and len(s[key])]
        if parts:
            row[key] = torch.cat(_same_shape(parts))
    for key in TOKEN_TYPE_KEYS:
        if any(s.get(key) is not None for s in samples):
            row[key] = [t for s in samples for t in (s.get(key) or [0] * len(s["input_ids"]))]
    for sample in samples:
        ids = list(sample["input_ids"])
        labels = list(sample["labels"] if sample.get("labels") is not None else ids)
        row["input_ids"] += ids
        row["labels"] += [IGNORE_INDEX, *labels[1:]]
        # a packed row (--packing) brings its samples' positions; a plain sample starts at 0
        positions = sample.get("position_ids")
        row["position_ids"] += list(positions) if positions is not None else list(range(len(ids)))
        if scaled:
            row["loss_scale"] += [0.0, *sample["loss_scale"][1:]]
    row["length"] = len(row["input_ids"])
    return row


def pack_dataset(dataset, max_length: int):
    """A ``datasets.Dataset`` of packed rows built from an encoded dataset.

    Args:
        dataset: Rows with ``input_ids`` and ``labels`` (and ``length`` if known).
        max_length: Capacity of each packed row.
    """
    import datasets

    if "length" in getattr(dataset, "column_names", ()):
        lengths = list(dataset["length"])
    else:
        lengths = [len(row["input_ids"]) for row in dataset]
    rows = [pack_samples([dataset[i] for i in pack]) for pack in plan_packs(lengths, max_length)]
    columns = {key: [row[key] for row in rows] for key in rows[0]} if rows else {}
    return datasets.Dataset.from_dict(columns)


class LazyPackedDataset(TorchDataset):
    """Packed rows planned from every sample's length, encoded when a row is loaded (``--packing --lazy_tokenize``).

    Only the lengths are kept up front (:func:`~swift_transformers.data.encoding.encoded_lengths`),
    so image samples are decoded in the data loader workers as with ``--lazy_tokenize`` alone,
    instead of every pixel tensor living in memory.

    Args:
        encoded: The lazily encoded dataset (its rows, template, ``strict`` and name).
        max_length: Capacity of each packed row.
        num_proc: Processes measuring the lengths.
    """

    def __init__(self, encoded: Any, max_length: int, *, num_proc: int = 1):
        from swift_transformers.data.encoding import encoded_lengths

        self.rows, self.template = encoded.dataset, encoded.template
        lengths = encoded_lengths(self.rows, self.template, strict=encoded.strict, name=encoded.name, num_proc=num_proc)
        kept = [i for i, n in enumerate(lengths) if n is not None]
        self.packs = [[kept[j] for j in pack] for pack in plan_packs([lengths[i] for i in kept], max_length)]
        self.samples = len(kept)

    def __len__(self) -> int:
        return len(self.packs)

    def __getitem__(self, index: int) -> dict[str, Any]:
        from swift_transformers.data.encoding import encode_row

        return pack_samples([encode_row(self.template, self.rows[i]) for i in self.packs[index]])
