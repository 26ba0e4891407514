"""``SwiftTrainer``: transformers' ``Seq2SeqTrainer`` with what ``swift sft`` adds.

* what every swift trainer adds (:class:`~.mixins.SwiftTrainerMixin`): checkpoints
  written by the tuner, its parameter groups (LoRA+), ``memory(GiB)`` and
  ``train_speed(iter/s)`` in every training log;
* training accuracy per ``--acc_strategy``, logged as ``acc`` with every loss;
* per-token weights of ``--loss_scale`` strategies (a ``loss_scale`` column): each
  token's cross-entropy times its weight, summed over the trained tokens;
* the language-model loss in chunks of ``--loss_chunk_size`` trained tokens, so the logits of
  the whole batch are never held (:mod:`.chunked_loss`);
* ``--predict_with_generate`` for decoder-only models: generate from the prompt
  part of each sample (not from the whole conversation, as the stock
  ``Seq2SeqTrainer`` would) and compare with the reference response.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers import Seq2SeqTrainer, Trainer

from swift_transformers.train.collator import IGNORE_INDEX
from swift_transformers.train.metrics import accuracy_counts
from swift_transformers.train.mixins import AccuracyLogMixin, SwiftTrainerMixin


class SwiftTrainer(AccuracyLogMixin, SwiftTrainerMixin, Seq2SeqTrainer):
    """The trainer of ``swift sft`` / ``swift pt``.

    Args:
        *args: Passed to ``Seq2SeqTrainer``.
        acc_strategy: ``token`` or ``sentence`` (see :mod:`.metrics`).
        generation_kwargs: ``generate`` options for ``--predict_with_generate``.
        loss_chunk_size: Trained tokens per LM-head pass in training (:mod:`.chunked_loss`); 0: the model's loss.
        sequence_parallel_size: Ranks each padding-free row is split across (:mod:`.sequence_parallel`);
            every rank then reads the same batches.
        **kwargs: ``tuner`` and ``param_groups`` (see :class:`~.mixins.SwiftTrainerMixin`),
            the rest passed to ``Seq2SeqTrainer``.
    """

    def __init__(
        self,
        *args: Any,
        acc_strategy: str = "token",
        generation_kwargs: dict[str, Any] | None = None,
        loss_chunk_size: int = 0,
        sequence_parallel_size: int = 1,
        **kwargs: Any,
    ):
        self.acc_strategy = acc_strategy
        self.loss_chunk_size = loss_chunk_size
        self.sequence_parallel_size = sequence_parallel_size
        self._head_parts: bool | None = None
        self._generation_kwargs = dict(generation_kwargs or {})
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------------ loss and accuracy
    def _set_signature_columns_if_needed(self):
        super()._set_signature_columns_if_needed()
        if "loss_scale" not in self._signature_columns:
            self._signature_columns.append("loss_scale")  # kept for compute_loss, never given to the model

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        """The usual loss (weighted per token with ``--loss_scale``); in training also count accuracy for the logs."""
        inputs = dict(inputs)
        scale = inputs.pop("loss_scale", None)
        labels = inputs.get("labels")
        position_ids = inputs.get("position_ids")
        if "mm_token_type_ids" in inputs and position_ids is not None and "attention_mask" not in inputs:
            from swift_transformers.vision.packing import packed_positions

            positions = packed_positions(model, inputs)  # a padding-free row of vision samples: 3-D positions
            if positions is not None:
                inputs["position_ids"] = positions
        if self.sequence_parallel_size > 1 and labels is not None:
            from swift_transformers.train.sequence_parallel import sequence_parallel_loss

            pad = self.processing_class.pad_token_id
            loss, counts = sequence_parallel_loss(model, inputs, num_items_in_batch, pad)
            if model.training:
                self.count_accuracy(counts)
            return (loss, None) if return_outputs else loss
        if self._chunked(model, labels, scale, return_outputs):
            from swift_transformers.train.chunked_loss import chunked_lm_loss

            loss, counts = chunked_lm_loss(model, inputs, num_items_in_batch, self.loss_chunk_size)
            if self.args.average_tokens_across_devices and num_items_in_batch is not None:
                loss = loss * self.accelerator.num_processes  # as Trainer.compute_loss does for the model's loss
            self.count_accuracy(counts)
            return loss
        loss, outputs = super().compute_loss(model, inputs, return_outputs=True, num_items_in_batch=num_items_in_batch)
        logits = outputs.get("logits") if isinstance(outputs, dict) else None
        if scale is not None and labels is not None:
            loss = weighted_loss(logits, labels, scale, num_items_in_batch)
        # liger's fused loss returns no logits: then there is no accuracy to count
        if model.training and labels is not None and logits is not None:
            with torch.no_grad():
                counts = accuracy_counts(logits.argmax(dim=-1), labels, self.acc_strategy, position_ids)
            # kept on the device: reading it every step would stall the GPU
            self.count_accuracy(counts)
        return (loss, outputs) if return_outputs else loss

    def get_train_dataloader(self):
        """The batches; under sequence parallelism the same ones on every rank of a group (each trains a slice)."""
        if self.sequence_parallel_size <= 1:
            return super().get_train_dataloader()
        shuffle = getattr(self.args, "train_sampling_strategy", "random") != "sequential"
        return self._group_batches(self.train_dataset, self._train_batch_size, shuffle=shuffle)

    def get_eval_dataloader(self, eval_dataset=None):
        """As :meth:`get_train_dataloader`, for evaluation."""
        if self.sequence_parallel_size <= 1:
            return super().get_eval_dataloader(eval_dataset)
        dataset = eval_dataset if eval_dataset is not None else self.eval_dataset
        return self._group_batches(dataset, self.args.per_device_eval_batch_size, shuffle=False)

    def _group_batches(self, dataset, batch_size: int, *, shuffle: bool):
        """The batches of this rank's sequence-parallel group (:class:`.sequence_parallel.GroupBatches`)."""
        from torch.utils.data import BatchSampler, DataLoader, IterableDataset, RandomSampler, SequentialSampler

        from swift_transformers.train.sequence_parallel import GroupBatches, data_parallel_rank

        index, groups = data_parallel_rank()
        if isinstance(dataset, IterableDataset):  # --streaming: one group reads the stream (checked before the run)
            return DataLoader(
                dataset,
                batch_size=batch_size,
                collate_fn=self.data_collator,
                num_workers=self.args.dataloader_num_workers,
                drop_last=self.args.dataloader_drop_last,
            )
        if shuffle:
            seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
            sampler = RandomSampler(dataset, generator=torch.Generator().manual_seed(seed))
        else:
            sampler = SequentialSampler(dataset)
        batches = BatchSampler(sampler, batch_size, drop_last=self.args.dataloader_drop_last)
        return DataLoader(
            dataset,
            batch_sampler=GroupBatches(batches, index, groups),
            collate_fn=self.data_collator,
            num_workers=self.args.dataloader_num_workers,
        )

    def _chunked(self, model, labels, scale, return_outputs: bool) -> bool:
        """Whether this training step takes the chunked LM-head loss (see :mod:`.chunked_loss`)."""
        if not (self.loss_chunk_size and model.training and labels is not None and not return_outputs):
            return False
        if scale is not None or self.compute_loss_func is not None or self.acc_strategy != "token":
            return False  # per-token weights, a plugin loss and per-sample accuracy need the logits
        if self._head_parts is None:
            from swift_transformers.train.chunked_loss import head_parts

            self._head_parts = head_parts(model) is not None
        return self._head_parts

    # ------------------------------------------------------------------ generation
    def prediction_step(self, model, inputs, prediction_loss_only, ignore_keys=None, **gen_kwargs):
        """Loss and logits; with ``--predict_with_generate`` loss, generated ids and references."""
        if not self.args.predict_with_generate or prediction_loss_only:
            return Trainer.prediction_step(self, model, inputs, prediction_loss_only, ignore_keys)
        inputs = self._prepare_inputs(inputs)
        with torch.no_grad():
            loss = self.compute_loss(model, dict(inputs)).detach().mean()
        prompts, references = split_prompts(inputs["input_ids"], inputs["labels"], inputs.get("attention_mask"))
        generated = self._generate(model, prompts, {**self._generation_kwargs, **gen_kwargs})
        return loss, generated, references

    def _generate(self, model, prompts: list[torch.Tensor], options: dict[str, Any]) -> torch.Tensor:
        pad_id = self.processing_class.pad_token_id
        width = max(len(p) for p in prompts)
        device = self.args.device
        # decoder-only generation needs left padding so every prompt ends at the last column
        input_ids = torch.full((len(prompts), width), pad_id, dtype=torch.long, device=device)
        attention_mask = torch.zeros_like(input_ids)
        for i, prompt in enumerate(prompts):
            input_ids[i, width - len(prompt) :] = prompt
            attention_mask[i, width - len(prompt) :] = 1
        temperature = options.pop("temperature", None)
        if temperature:
            options.update(do_sample=True, temperature=temperature)
        else:
            options["do_sample"] = False
        options.setdefault("pad_token_id", pad_id)
        unwrapped = self.accelerator.unwrap_model(model)
        with torch.no_grad():
            output = unwrapped.generate(input_ids=input_ids, attention_mask=attention_mask, **options)
        return output[:, width:]


def split_prompts(
    input_ids: torch.Tensor, labels: torch.Tensor, attention_mask: torch.Tensor | None = None
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Prompt ids (everything before the first trained token) and the first trained run per row.

    Returns:
        ``(prompts, references)``: a list of 1-D prompt tensors and a
        ``[batch, width]`` tensor of reference ids padded with ``-100``.
    """
    prompts, refs = [], []
    for i in range(input_ids.shape[0]):
        trained = labels[i].ne(IGNORE_INDEX)
        if attention_mask is not None:
            trained &= attention_mask[i].bool()
        idx = trained.nonzero().flatten()
        if len(idx) == 0:
            end = int(attention_mask[i].sum()) if attention_mask is not None else input_ids.shape[1]
            prompts.append(input_ids[i, :end])
            refs.append(labels[i, :0])
            continue
        start = int(idx[0])
        # the first contiguous run of trained tokens is the first response
        gaps = (idx[1:] - idx[:-1]).ne(1).nonzero().flatten()
        stop = int(idx[gaps[0]]) + 1 if len(gaps) else int(idx[-1]) + 1
        prompts.append(input_ids[i, :start])
        refs.append(labels[i, start:stop])
    width = max((len(r) for r in refs), default=0) or 1
    references = torch.full((len(refs), width), IGNORE_INDEX, dtype=torch.long, device=labels.device)
    for i, ref in enumerate(refs):
        references[i, : len(ref)] = ref
    return prompts, references


def weighted_loss(logits: torch.Tensor | None, labels: torch.Tensor, scale: torch.Tensor, num_items_in_batch=None):
    """Cross-entropy of each trained token times its ``--loss_scale`` weight, over the trained tokens.

    As ms-swift: the sum of the weighted token losses divided by the number of trained
    tokens (of the whole accumulated batch when the Trainer counted it).
    """
    from swift_transformers.train.losses import token_losses

    if logits is None:
        raise RuntimeError("--loss_scale weights need the model's logits; a fused loss (--use_liger) returns none")
    loss, mask = token_losses(logits, labels)
    weights = scale[..., 1:].to(loss.device, loss.dtype)
    total = (loss * weights * mask).sum()
    if num_items_in_batch is not None:
        if torch.is_tensor(num_items_in_batch):
            num_items_in_batch = num_items_in_batch.to(total.device)
        return total / num_items_in_batch
    return total / mask.sum().clamp(min=1)
