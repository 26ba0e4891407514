"""``GRPOTrainer``: a transformers ``Trainer`` whose batches are sampled, scored and buffered.

Why not trl's ``GRPOTrainer``: its generation (its own vLLM/transformers paths),
reward calling, multi-turn environments and tokenisation are exactly the parts
swift replaces with its engine, rewards, schedulers and templates families, and
they live in one 3,400-line class. What remains of GRPO — the sampling loop, the
advantages and the clipped loss — is small, so this trainer composes it from
:mod:`.sampling`, :mod:`.advantages`, :mod:`.loss` and :mod:`.engines` and keeps
transformers' loop (optimizer, schedule, accumulation, checkpoints, callbacks).

Per micro-step the Trainer hands :meth:`GRPOTrainer._prepare_inputs` a block of
prompt rows (:mod:`.batches`). On the first micro-step of a round the trainer

1. pushes the current weights to the rollout engine if they changed;
2. samples ``G`` rollouts per prompt and encodes them (:class:`.sampling.GroupSampler`);
3. scores them with the reward functions, every dataset column passed along;
4. turns rewards into group-relative advantages;
5. computes the old-policy and reference log-probabilities it will need, and
   buffers the round as ``S`` micro-batches.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from typing import Any

import torch
from swift_transformers.api import SwiftTrainerMixin
from torch.utils.data import DataLoader
from transformers import Trainer

from swift_trl.grpo.advantages import group_advantages, reward_metrics, score_completions
from swift_trl.grpo.batches import GroupBatchSampler, RoundShape, keep_rows, media_inputs, pad_micro_batch
from swift_trl.grpo.loss import (
    ObjectiveSettings,
    accepts_logits_to_keep,
    packed_token_logps,
    policy_loss,
    token_logps,
)
from swift_trl.grpo.sampling import GroupSampler, Sample, reward_columns

COMPLETIONS_FILE = "completions.jsonl"


class GRPOTrainer(SwiftTrainerMixin, Trainer):
    """GRPO on a transformers ``Trainer``.

    Args:
        model: The policy (tuner already applied).
        args: ``TrainingArguments`` of the run.
        train_dataset: Prompt rows (``messages`` without the answer, plus columns).
        processing_class: The tokenizer (padding id, checkpoints).
        sampler: Samples and encodes rollouts through the rollout engine.
        engine: The rollout engine (``sync_weights`` after updates, ``close`` at the end).
        rewards: Loaded reward functions; ``reward_weights`` one weight each (or None).
        shape: Sizes of a generation round.
        objective: Clipping, KL and loss aggregation.
        scale_rewards: ``group``, ``batch`` or ``none``.
        temperature: Sampling temperature (log-probabilities are computed at it).
        ref_model: A frozen reference model; None uses the policy with its adapter
            disabled (only needed when ``objective.beta`` is not 0).
        overlong_filter: Leave completions cut at ``max_completion_length`` out of the loss.
        completions_path: Where to append every sampled completion with its rewards and
            advantage (``--log_completions``), or None.
        shuffle: Shuffle the prompts each epoch (``--dataset_shuffle``).
        padding_free: Compute log-probabilities on each micro-batch packed into one row
            (``--padding_free``; :func:`.loss.packed_token_logps`).
        **kwargs: ``tuner`` and ``param_groups`` (see ``SwiftTrainerMixin``),
            ``callbacks`` (see ``Trainer``).
    """

    def __init__(
        self,
        model,
        args,
        train_dataset,
        processing_class,
        *,
        sampler: GroupSampler,
        engine: Any,
        rewards: list,
        reward_weights: list[float] | None,
        shape: RoundShape,
        objective: ObjectiveSettings,
        scale_rewards: str = "group",
        temperature: float = 1.0,
        ref_model: Any = None,
        overlong_filter: bool = False,
        completions_path: str | None = None,
        shuffle: bool = True,
        padding_free: bool = False,
        **kwargs: Any,
    ):
        super().__init__(
            model=model,
            args=args,
            train_dataset=train_dataset,
            processing_class=processing_class,
            data_collator=keep_rows,
            **kwargs,
        )
        self.sampler, self.engine, self.shape, self.objective = sampler, engine, shape, objective
        self.rewards, self.reward_weights = rewards, reward_weights
        self.scale_rewards, self.temperature = scale_rewards, temperature or 1.0
        if ref_model is not None:
            # frozen, on the training device (or sharded like the policy under DeepSpeed/FSDP)
            ref_model = self.accelerator.prepare_model(ref_model, evaluation_mode=True)
        self.ref_model, self.overlong_filter = ref_model, overlong_filter
        self.completions_path, self.shuffle = completions_path, shuffle
        self.padding_free = padding_free
        if padding_free:
            from swift_transformers.api import describe_packed_attention, say, use_packed_attention

            use_packed_attention(self.model)
            say(f"padding-free micro-batches: attention {describe_packed_attention(self.model)} (generation unchanged)")
            if self.ref_model is not None:
                use_packed_attention(self.ref_model)
        # the loss is already a mean per micro-batch; the Trainer only divides by accumulation
        self.model_accepts_loss_kwargs = False
        self._logits_to_keep = accepts_logits_to_keep(self.accelerator.unwrap_model(model))
        self._buffer: list[dict[str, Any]] = []
        self._micro_step = 0
        self._synced_step = 0
        self._round = 0
        self._metrics: dict[str, list[float]] = defaultdict(list)
        # old log-probabilities equal the current ones unless an optimizer step falls
        # between sampling a round and training on its last micro-batch
        accumulation = args.gradient_accumulation_steps
        self._off_policy = shape.iterations > 1 or accumulation % shape.steps != 0

    # ------------------------------------------------------------------ data
    def get_train_dataloader(self) -> DataLoader:
        """Batches of whole groups: every prompt's ``num_generations`` completions land in one step."""
        sampler = GroupBatchSampler(
            len(self.train_dataset),
            self.shape.prompts,
            self.shape.steps * self.shape.iterations,
            shuffle=self.shuffle,
            seed=self.args.seed,
            rank=self.args.process_index,
            world=self.args.world_size,
        )
        return DataLoader(self.train_dataset, batch_sampler=sampler, collate_fn=keep_rows)

    def _prepare_inputs(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        per_round = self.shape.steps * self.shape.iterations
        if self._micro_step % per_round == 0:
            self._buffer = self._sample_round(rows)
        batch = self._buffer[self._micro_step % self.shape.steps]
        self._micro_step += 1
        return batch

    # ------------------------------------------------------------------ one round
    def _sample_round(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        policy = self.accelerator.unwrap_model(self.model)
        started = time.perf_counter()
        if self.state.global_step != self._synced_step:
            self.engine.sync_weights(policy)
            self._synced_step = self.state.global_step
        synced = time.perf_counter()
        samples = self.sampler.sample(rows)
        sampled = time.perf_counter()
        completions = self.sampler.completions(samples)
        columns = reward_columns(samples)
        columns["trainer_state"] = self.state
        per_reward, totals = score_completions(self.rewards, self.reward_weights, completions, columns)
        advantages, group_std = group_advantages(totals, self.shape.num_generations, self.scale_rewards)
        scored = time.perf_counter()
        names = [getattr(r, "name", getattr(r, "__name__", "reward")) for r in self.rewards]
        for key, value in reward_metrics(names, per_reward, totals, group_std).items():
            self._metrics[key].append(value)
        lengths = [len(s.completion_ids) for s in samples]
        self._metrics["completions/mean_length"].append(sum(lengths) / len(lengths))
        self._metrics["completions/clipped_ratio"].append(sum(s.truncated for s in samples) / len(samples))
        if self.completions_path and self.args.should_save:
            self._write_completions(samples, completions, names, per_reward, totals, advantages)
        self._round += 1
        batches = self._micro_batches(samples, advantages)
        # seconds of this round, so a log line shows where a step's time goes
        timings = {
            "time/weight_sync": synced - started,
            "time/generation": sampled - synced,
            "time/reward": scored - sampled,
            "time/logps": time.perf_counter() - scored,  # old-policy and reference
        }
        for key, value in timings.items():
            self._metrics[key].append(value)
        return batches

    def _micro_batches(self, samples: list[Sample], advantages: torch.Tensor) -> list[dict]:
        pad_id = self.processing_class.pad_token_id
        if pad_id is None:
            pad_id = self.processing_class.eos_token_id
        batches = []
        size = self.shape.micro_batch
        for i in range(0, len(samples), size):
            part = samples[i : i + size]
            masks = [
                [0] * len(s.completion_mask) if self.overlong_filter and s.truncated else s.completion_mask
                for s in part
            ]
            batch = pad_micro_batch([s.input_ids for s in part], masks, pad_id, self.args.device)
            if any(s.media for s in part):
                dtype = self.accelerator.unwrap_model(self.model).dtype
                width = batch["input_ids"].shape[1]
                batch["media"] = media_inputs([s.media for s in part], width, self.args.device, dtype)
            batch["advantages"] = advantages[i : i + size].to(self.args.device)
            batch["trained_tokens"] = batch["completion_mask"][:, batch["start"] :].sum()
            with torch.no_grad():
                if self._off_policy:
                    batch["old_logps"] = self._logps(self.model, batch)
                if self.objective.beta:
                    batch["ref_logps"] = self._reference_logps(batch)
            batches.append(batch)
        if self.objective.loss_type == "dapo":
            self._set_round_tokens(batches)
        return batches

    def _set_round_tokens(self, batches: list[dict]) -> None:
        # DAPO's mean runs over every trained token of the round, on every process (as trl):
        # each micro-batch's loss is its sum over the round's tokens per process and micro-batch
        local = torch.stack([b["trained_tokens"] for b in batches]).sum().to(self.args.device)
        total = self.accelerator.reduce(local.float(), reduction="sum").item()
        share = total / self.accelerator.num_processes / len(batches)
        for batch in batches:
            batch["round_tokens"] = share

    def _logps(self, model: Any, batch: dict[str, Any]) -> torch.Tensor:
        if self.padding_free:
            return packed_token_logps(
                model, batch["input_ids"], batch["attention_mask"], batch["start"], self.temperature
            )
        return token_logps(
            model,
            batch["input_ids"],
            batch["attention_mask"],
            batch["start"],
            self.temperature,
            self._logits_to_keep,
            extra=batch.get("media"),
        )

    def _reference_logps(self, batch: dict[str, Any]) -> torch.Tensor:
        if self.ref_model is not None:
            return self._logps(self.ref_model, batch)
        # an adapter on a frozen base: the base alone is the reference policy
        policy = self.accelerator.unwrap_model(self.model)
        with policy.disable_adapter():
            return self._logps(self.model, batch)

    def _write_completions(self, samples, completions, names, per_reward, totals, advantages):
        g = self.shape.num_generations
        with open(self.completions_path, "a", encoding="utf-8") as fh:
            for i, sample in enumerate(samples):
                record = {
                    "step": self.state.global_step,
                    "round": self._round,
                    "group": i // g,
                    "prompt": sample.trajectory.messages[: sample.trajectory.prompt_length],
                    "completion": completions[i],
                    "model_written": sample.trajectory.model_written,
                    "rewards": {n: _finite(per_reward[i, j].item()) for j, n in enumerate(names)},
                    "reward": _finite(totals[i].item()),
                    "advantage": advantages[i].item(),
                }
                fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")

    # ------------------------------------------------------------------ loss and logs
    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        """The GRPO objective of one buffered micro-batch (:func:`.loss.policy_loss`)."""
        logps = self._logps(model, inputs)
        mask = inputs["completion_mask"][:, inputs["start"] :]
        old = inputs["old_logps"] if "old_logps" in inputs else logps.detach()
        loss, stats = policy_loss(
            logps, old, inputs.get("ref_logps"), inputs["advantages"], mask, self.objective, inputs.get("round_tokens")
        )
        for key, value in stats.items():
            self._metrics[key].append(value)
        return (loss, None) if return_outputs else loss

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Add the averaged round and loss metrics to each training log."""
        if "loss" in logs and self._metrics:
            for key, values in self._metrics.items():
                finite = [v for v in values if v == v]
                if finite:
                    logs[key] = sum(finite) / len(finite)
            self._metrics.clear()
        super().log(logs, start_time)

    def train(self, *args: Any, **kwargs: Any):
        """Train, then release the rollout engine."""
        try:
            return super().train(*args, **kwargs)
        finally:
            self.engine.close()


def _finite(value: float) -> float | None:
    return None if value != value else value


def completions_path(run_dir: str, enabled: bool) -> str | None:
    """``<run dir>/completions.jsonl`` when ``--log_completions`` is on."""
    return os.path.join(run_dir, COMPLETIONS_FILE) if enabled else None
