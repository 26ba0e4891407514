"""trl's preference trainers, taught to take data encoded by swift's template.

trl tokenizes ``prompt``/``chosen``/``rejected`` text itself (with the tokenizer's
chat template and its own EOS rules). swift encodes rows with its own template
(:mod:`swift_trl.preference.data`), so each subclass accepts the encoded ids and
skips trl's tokenization; everything else — losses, reference handling, metrics —
is trl's. ``SwiftTrainerMixin`` adds what every swift trainer does: checkpoints
written by the tuner, its parameter groups (LoRA+) and ``memory(GiB)`` and
``train_speed(iter/s)`` in the logs.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

from swift_transformers.api import MEDIA_TENSOR_KEYS, TOKEN_TYPE_KEYS, SwiftTrainerMixin
from trl import DPOTrainer, KTOTrainer
from trl.experimental.cpo import CPOTrainer
from trl.experimental.orpo import ORPOTrainer
from trl.trainer.dpo_trainer import DataCollatorForPreference
from trl.trainer.kto_trainer import DataCollatorForUnpairedPreference

from swift.template import IGNORE_INDEX
from swift.template.media import COLUMNS, TAGS
from swift_trl.preference.data import LAZY_MEDIA_COLUMNS, PAIRWISE_COLUMNS, UNPAIRED_COLUMNS

MEDIA_COLUMNS = tuple(LAZY_MEDIA_COLUMNS.values())


def has_columns(dataset: Any, columns: tuple[str, ...]) -> bool:
    """Whether ``dataset`` is already encoded by swift (holds every column of ``columns``)."""
    names = getattr(dataset, "column_names", None) or []
    return all(c in names for c in columns)


@contextlib.contextmanager
def frozen_reference_adapter(model: Any) -> Iterator[None]:
    """Let trl add its ``ref`` copy of the adapter in inference mode.

    Without a reference model, trl's DPO and KTO copy the initial adapter as a second
    adapter named ``ref``, with the trained adapter's config — a second *trainable*
    adapter, which AdaLoRA refuses. The copy is only ever read, so it is added frozen.
    """
    add = getattr(model, "add_adapter", None)
    if add is None or not hasattr(model, "peft_config"):
        yield
        return

    def add_frozen(name: str, config: Any, *args: Any, **kwargs: Any) -> Any:
        return add(name, dataclasses.replace(config, inference_mode=True), *args, **kwargs)

    model.add_adapter = add_frozen
    try:
        yield
    finally:
        del model.add_adapter


class ReferenceAdapterMixin:
    """For trl trainers that copy the initial adapter as ``ref`` when given no reference.

    The copy is added frozen (:func:`frozen_reference_adapter`) and left out of every
    checkpoint (``frozen_adapters``, read by ``SwiftTrainerMixin``).
    """

    frozen_adapters = ("ref",)

    def __init__(self, *args: Any, model: Any = None, **kwargs: Any):
        with frozen_reference_adapter(model):
            super().__init__(*args, model=model, **kwargs)


@dataclasses.dataclass
class ImagePreferenceCollator(DataCollatorForPreference):
    """trl's preference collator plus the image inputs of swift-encoded vision rows.

    trl's batch is every row's prompt + chosen answer, then every row's prompt + rejected
    answer; the image tensors follow that order (each row's twice) and the per-token modality
    is the prompt's, 0 over the answer and the padding.
    """

    media_template: Any = None

    def torch_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        """Trl's padded batch, plus ``pixel_values``/``image_grid_thw`` and the token types of image rows."""
        batch = super().torch_call(examples)
        if any(_has_media(e) for e in examples):
            add_image_inputs(batch, with_media_tensors(examples, self.media_template) * 2, [""])
        return batch


@dataclasses.dataclass
class ImageUnpairedCollator(DataCollatorForUnpairedPreference):
    """trl's KTO collator plus the image inputs of swift-encoded vision rows.

    Each row's images once, in row order; its prompt's per-token modality on the main sequence
    and on the KL sequence (the same prompt before another row's completion), which trl passes
    to the model as ``token_type_ids``/``mm_token_type_ids`` and their ``KL_`` twins.
    """

    media_template: Any = None

    def torch_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        """Trl's padded batch, plus the image inputs and token types of image rows."""
        batch = super().torch_call(examples)
        if any(_has_media(e) for e in examples):
            prefixes = ["", "KL_"] if "KL_input_ids" in batch else [""]
            add_image_inputs(batch, with_media_tensors(examples, self.media_template), prefixes)
        return batch


#: The tensor that marks a row with images, videos or audio.
MEDIA_ROW_KEYS = ("pixel_values", "pixel_values_videos", "input_features")


def _has_media_columns(dataset: Any) -> bool:
    """Whether an encoded dataset holds image, video or audio rows (as tensors, or as media to decode)."""
    columns = getattr(dataset, "column_names", None) or ()
    return any(key in columns for key in (*MEDIA_ROW_KEYS, *MEDIA_COLUMNS))


def _has_media(row: dict[str, Any]) -> bool:
    """Whether an encoded row carries image, video or audio tensors, or media to decode."""
    return any(row.get(key) is not None for key in MEDIA_ROW_KEYS) or any(row.get(c) for c in MEDIA_COLUMNS)


def with_media_tensors(rows: list[dict[str, Any]], template: Any) -> list[dict[str, Any]]:
    """``rows`` with the tensors of the media they name (``--lazy_tokenize``: decoded here, in the loader).

    A lazily encoded row keeps its ids (the media's token counts already in them) and its media
    (``lazy_images`` …: :data:`~swift_trl.preference.data.LAZY_MEDIA_COLUMNS`); the template encodes
    them again, as it did for the ids, and its tensors join the row. Rows with tensors pass unchanged.
    """
    out = []
    for row in rows:
        if any(row.get(key) is not None for key in MEDIA_ROW_KEYS) or not any(row.get(c) for c in MEDIA_COLUMNS):
            out.append(row)
            continue
        if template is None:
            raise ValueError("a lazily encoded media row needs the run's template to decode its media")
        media = {column: list(row.get(LAZY_MEDIA_COLUMNS[column]) or ()) for column in COLUMNS.values()}
        tags = "".join(TAGS[kind] * len(media[column]) for kind, column in COLUMNS.items())
        encoded = template.encode_prompt([{"role": "user", "content": tags}], **media)
        out.append({**row, **{k: v for k, v in encoded.items() if k in MEDIA_TENSOR_KEYS}})
    return out


def add_image_inputs(batch: dict[str, Any], rows: list[dict[str, Any]], prefixes: list[str]) -> None:
    """Put ``rows``' image tensors (concatenated) and prompt token types (right-padded) in ``batch``."""
    import torch

    for key in MEDIA_TENSOR_KEYS:
        parts = [torch.as_tensor(r[key]) for r in rows if r.get(key) is not None]
        if parts:
            batch[key] = torch.cat(parts)
    for key in TOKEN_TYPE_KEYS:
        if not any(key in r for r in rows):
            continue
        for prefix in prefixes:
            types = torch.zeros((len(rows), batch[f"{prefix}input_ids"].shape[1]), dtype=torch.long)
            for i, r in enumerate(rows):
                prompt = r.get(key) or []
                types[i, : len(prompt)] = torch.as_tensor(prompt, dtype=torch.long)
            batch[f"{prefix}{key}"] = types


class MediaCollatorMixin:
    """For trl trainers whose own collator drops media: ``media_collator`` takes rows with images, videos or audio.

    ``media_template`` (the run's template) decodes the media of lazily encoded rows in the loader.
    """

    media_collator: type

    def __init__(
        self,
        *args: Any,
        train_dataset: Any = None,
        processing_class: Any = None,
        media_template: Any = None,
        **kwargs: Any,
    ):
        if _has_media_columns(train_dataset):
            collator = self.media_collator(pad_token_id=processing_class.pad_token_id, media_template=media_template)
            kwargs.setdefault("data_collator", collator)
        super().__init__(*args, train_dataset=train_dataset, processing_class=processing_class, **kwargs)


class SwiftDPOTrainer(MediaCollatorMixin, ReferenceAdapterMixin, SwiftTrainerMixin, DPOTrainer):
    """``DPOTrainer`` on rows of ``prompt_ids``/``chosen_ids``/``rejected_ids`` (+ image inputs)."""

    media_collator = ImagePreferenceCollator

    def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
        if has_columns(dataset, PAIRWISE_COLUMNS):
            return dataset  # already what DPO's collator reads; truncated by swift
        return super()._prepare_dataset(dataset, processing_class, args, dataset_name)


class SwiftKTOTrainer(MediaCollatorMixin, ReferenceAdapterMixin, SwiftTrainerMixin, KTOTrainer):
    """``KTOTrainer`` on rows of ``prompt_ids``/``completion_ids``/``label`` (+ image inputs)."""

    media_collator = ImageUnpairedCollator

    def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
        if not has_columns(dataset, UNPAIRED_COLUMNS):
            return super()._prepare_dataset(dataset, processing_class, args, dataset_name)
        if not self.calculate_KL:
            return dataset
        # KTO's KL term pairs each prompt with another row's completion: trl rotates the
        # completions by one inside each training batch (the sampler is sequential)
        return dataset.map(_rotate_completions, batched=True, batch_size=args.per_device_train_batch_size)


def _rotate_completions(batch: dict[str, list]) -> dict[str, list]:
    completions = batch["completion_ids"]
    batch["KL_completion_ids"] = [completions[-1], *completions[:-1]]
    return batch


def cpo_features(feature: dict[str, Any]) -> dict[str, list[int]]:
    """The fields CPO/ORPO's collator reads, from swift's encoded pair.

    Labels are ``-100`` over the prompt, as trl's own ``tokenize_row`` makes them; the
    template already added whatever BOS/EOS the model's chat format has.
    """
    prompt = list(feature["prompt_ids"])
    out: dict[str, list[int]] = {
        "prompt_input_ids": prompt,
        "prompt_attention_mask": [1] * len(prompt),
    }
    for side in ("chosen", "rejected"):
        answer = list(feature[f"{side}_ids"])
        out[f"{side}_input_ids"] = prompt + answer
        out[f"{side}_attention_mask"] = [1] * (len(prompt) + len(answer))
        out[f"{side}_labels"] = [IGNORE_INDEX] * len(prompt) + answer
    return out


class ConcatenatedMediaMixin:
    """Media for trl's CPO/ORPO ``concatenated_forward``, which calls the model with ids and mask only.

    The batch (trl's ``DPODataCollatorWithPadding``) keeps each row's image tensors as lists; the
    forward runs every row's prompt + chosen answer, then every row's prompt + rejected answer,
    so the rows' media go in that order (each row's twice), with the prompts' token types
    right-padded to the concatenated length — added to the model call by a forward pre-hook
    for this one call.
    """

    media_template: Any = None

    def __init__(self, *args: Any, media_template: Any = None, **kwargs: Any):
        self.media_template = media_template
        super().__init__(*args, **kwargs)

    def concatenated_forward(self, model: Any, batch: dict[str, Any]) -> Any:
        """Trl's forward of the chosen and rejected sequences, with the rows' media when they have any."""
        keys = [key for key in (*MEDIA_TENSOR_KEYS, *TOKEN_TYPE_KEYS, *MEDIA_COLUMNS) if key in batch]
        rows = [{key: batch[key][i] for key in keys} for i in range(len(batch["chosen_labels"]))]
        if not any(_has_media(row) for row in rows):
            return super().concatenated_forward(model, batch)
        rows = with_media_tensors(rows, self.media_template)

        def add_media(module: Any, args: tuple, kwargs: dict) -> tuple:
            input_ids = args[0] if args else kwargs["input_ids"]
            media: dict[str, Any] = {"input_ids": input_ids}
            add_image_inputs(media, rows * 2, [""])
            del media["input_ids"]
            return args, {**kwargs, **{k: v.to(input_ids.device) for k, v in media.items()}}

        handle = model.register_forward_pre_hook(add_media, with_kwargs=True)
        try:
            return super().concatenated_forward(model, batch)
        finally:
            handle.remove()


class SwiftCPOTrainer(ConcatenatedMediaMixin, SwiftTrainerMixin, CPOTrainer):
    """``CPOTrainer`` (CPO and SimPO) on swift-encoded pairs (+ image inputs)."""

    def tokenize_row(self, feature, model=None) -> dict:
        """Encode a pairwise row with swift's template (already tokenized), else as trl does."""
        if all(c in feature for c in PAIRWISE_COLUMNS) and not self.is_encoder_decoder:
            return cpo_features(feature)
        return super().tokenize_row(feature, model)


class SwiftORPOTrainer(ConcatenatedMediaMixin, SwiftTrainerMixin, ORPOTrainer):
    """``ORPOTrainer`` on swift-encoded pairs (+ image inputs)."""

    def tokenize_row(self, feature, model=None) -> dict:
        """Encode a pairwise row with swift's template (already tokenized), else as trl does."""
        if all(c in feature for c in PAIRWISE_COLUMNS) and not self.is_encoder_decoder:
            return cpo_features(feature)
        return super().tokenize_row(feature, model)
