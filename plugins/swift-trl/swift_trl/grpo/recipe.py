"""The ``grpo`` recipe of ``swift rlhf``.

Reading order of :func:`run_grpo`:

1. start the run as ``swift sft`` does (run folder, policy, template, ``args.json``);
2. load the prompt rows (``messages`` without the answer, plus columns such as
   ``solution``) and size a generation round (:func:`.batches.round_shape`);
3. let the tuner wrap the policy; load the reference model when ``--beta`` is not 0
   and the adapter cannot stand in for it (full training, or ``--ref_model``);
4. build the rollout engine (:mod:`.engines`), the rewards (``--reward_funcs``), the
   multi-turn scheduler (``--multi_turn_scheduler``) and the objective;
5. train with :class:`.trainer.GRPOTrainer` and return the summary.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from swift_transformers import api as steps
from swift_transformers.api import say

from swift.protocol import RequestConfig
from swift.template import get_template
from swift_trl.run import config_values, load_reference

logger = logging.getLogger("swift.rlhf")


def request_config(args: Any, scheduler: Any = None) -> RequestConfig:
    """Sampling settings of every rollout turn.

    A scheduler that reads tool calls keeps special tokens in the answers: some tool
    formats' markers are special tokens (Mistral's ``[TOOL_CALLS]``, DeepSeek's).
    """
    return RequestConfig(
        max_tokens=args.max_completion_length,
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        repetition_penalty=args.repetition_penalty,
        skip_special_tokens=not getattr(scheduler, "keeps_special_tokens", False),
    )


def objective_settings(args: Any) -> Any:
    """The clipped objective of ``args`` (``--epsilon``, ``--epsilon_high``, ``--beta`` …)."""
    from swift_trl.grpo.loss import ObjectiveSettings

    return ObjectiveSettings(
        epsilon_low=args.epsilon,
        epsilon_high=args.epsilon_high if args.epsilon_high is not None else args.epsilon,
        beta=args.beta or 0.0,
        delta=args.delta,
        loss_type=args.loss_type or "grpo",
        importance_sampling_level=args.importance_sampling_level,
        max_completion_length=args.max_completion_length,
    )


def run_grpo(args: Any) -> dict:
    """``swift rlhf --rlhf_type grpo`` (see the module docstring); returns the run summary."""
    from swift_transformers.api import build_callbacks, tuner_param_groups
    from transformers import TrainingArguments

    from swift.rewards import load_rewards
    from swift.scheduler import scheduler_from_args
    from swift.services import load_datasets
    from swift_trl.grpo.batches import round_shape
    from swift_trl.grpo.engines import build_engine
    from swift_trl.grpo.sampling import GroupSampler
    from swift_trl.grpo.trainer import GRPOTrainer, completions_path

    scheduler = scheduler_from_args(args)
    if scheduler is not None and args.completion_length_limit_scope == "total":
        logger.warning(
            "--completion_length_limit_scope total is not supported: each turn may use "
            "--max_completion_length tokens (per_round)"
        )
    rewards = load_rewards(args.reward_funcs, args)
    run = steps.prepare_run(args, f"rlhf ({args.rlhf_type})")

    prompts, val_rows = load_datasets(args)
    if val_rows is not None:
        logger.warning("GRPO does not evaluate: the validation rows are not used")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    shape = round_shape(args, world)
    rounds = len(prompts) // (shape.prompts * world)
    say(
        f"grpo: {len(prompts)} prompts, {shape.prompts} per round × {shape.num_generations} "
        f"completions, {shape.steps} micro-batches of {shape.micro_batch} per round"
    )
    steps_rows = rounds * shape.steps * shape.iterations * shape.micro_batch * world
    model, tuner, parameter_info = steps.prepare_tuner(args, run.model, steps_rows)
    ref_model = load_reference(args) if args.beta else None

    # when turns do not chain, whole conversations are encoded following each message's
    # "loss" flag: answers the model wrote, nothing else
    train_template = get_template(run.template.meta, run.tokenizer, args, loss_scale="default", max_length=None)
    engine = build_engine(args, model, run.tokenizer, run.template, tuner, shape.completions, run.run_dir)
    sampler = GroupSampler(
        engine,
        run.template,
        shape.num_generations,
        request_config(args, scheduler),
        scheduler,
        fallback_template=train_template,
    )
    values = config_values(args, run.run_dir, TrainingArguments, has_eval=False, model_dtype=model.dtype)
    hf_args = TrainingArguments(**values)
    trainer = GRPOTrainer(
        model,
        hf_args,
        prompts,
        run.tokenizer,
        sampler=sampler,
        engine=engine,
        rewards=rewards,
        reward_weights=args.reward_weights,
        shape=shape,
        objective=objective_settings(args),
        scale_rewards=args.scale_rewards,
        temperature=args.temperature,
        ref_model=ref_model,
        overlong_filter=args.overlong_filter,
        completions_path=completions_path(run.run_dir, args.log_completions),
        shuffle=args.dataset_shuffle,
        padding_free=args.padding_free,
        tuner=tuner,
        param_groups=tuner_param_groups(args, tuner),
        callbacks=build_callbacks(args, model, tuner, run.run_dir),
    )
    output = steps.train(trainer, args, run.checkpoint)
    return steps.finish_run(args, trainer, output, run.run_dir, parameter_info)
