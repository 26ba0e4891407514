"""The parts of an ``swift rlhf`` run every method shares, composed from swift-transformers.

Reading order of a run (see :mod:`swift_trl.preference.recipe` and
:mod:`swift_trl.grpo.recipe`):

1. :func:`start_run` — process group, run folder, seed, policy model, template, ``args.json``;
2. the method loads and encodes its data;
3. :func:`prepare_tuner` — the ``--train_type`` tuner wraps the policy;
4. :func:`load_reference` — a separate reference model when the method needs one;
5. :func:`config_values` — the trl (or transformers) config fields of the run;
6. the trainer trains; :func:`finish_run` writes and returns the summary.

Everything reusable lives in :mod:`swift_transformers.train`; this module only
wires it for trainers that are not ``SwiftTrainer``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields
from typing import Any

from swift_transformers.train import run_dir as runs
from swift_transformers.train.recipe import describe_parameters, estimate_steps, say

from swift.arguments import save_args
from swift.kernel import registry
from swift.template import get_template


@dataclass
class Run:
    """What :func:`start_run` set up.

    Attributes:
        run_dir: The versioned output folder (``args.output_dir`` points to it too).
        checkpoint: ``--resume_from_checkpoint`` as an absolute path, or None.
        model: The policy, not yet wrapped by the tuner.
        tokenizer: Its tokenizer.
        template: The template bound to the tokenizer (``args`` options applied).
    """

    run_dir: str
    checkpoint: str | None
    model: Any
    tokenizer: Any
    template: Any


def start_run(args: Any) -> Run:
    """Join torchrun's group, create the run folder, load the policy and its template.

    Also fills ``args.model_type``/``args.template`` from the model record and writes
    ``args.json`` (main process), as ``swift sft`` does.
    """
    from swift_transformers.models.loading import load_model
    from swift_transformers.train.recipe import check_supported
    from transformers import set_seed

    check_supported(args)  # the flags swift sft refuses (num_labels, sequence parallel …)
    runs.init_distributed(args)
    run_dir = runs.choose_run_dir(args)
    checkpoint = runs.resume_checkpoint(args)
    set_seed(args.seed)
    model, tokenizer, record = load_model(args)
    args.model_type = args.model_type or record.name
    template = get_template(args.template or record.template, tokenizer, args)
    args.template = args.template or template.name
    if runs.is_main_process():
        save_args(args, run_dir)
    say(f"rlhf ({args.rlhf_type}) run folder: {run_dir}")
    return Run(run_dir, checkpoint, model, tokenizer, template)


def prepare_tuner(args: Any, model: Any, n_steps_rows: int | None) -> tuple[Any, Any, dict]:
    """Wrap ``model`` with the ``--train_type`` tuner.

    Args:
        args: The run's arguments.
        model: The loaded policy.
        n_steps_rows: Rows per epoch as the trainer counts them (to tell AdaLoRA the
            number of optimizer steps); None for a stream.

    Returns:
        ``(model, tuner, parameter_info)``.
    """
    from transformers import set_seed

    tuner = registry("tuners").load(args.train_type)
    args.num_training_steps = estimate_steps(args, n_steps_rows)
    set_seed(args.seed)  # adapter initialisation draws from the global RNG
    model = tuner.prepare(model, args)
    info = describe_parameters(model)
    say(f"{args.train_type}: {info['summary']}")
    return model, tuner, info


def reference_arguments(args: Any) -> Any:
    """A copy of ``args`` whose model flags name the reference model (``--ref_model*``)."""
    ref_args = copy.copy(args)
    ref_args.model = args.ref_model
    ref_args.model_type = args.ref_model_type
    ref_args.model_revision = args.ref_model_revision
    # the reference is frozen: no quantised training setup, no adapters of the policy
    ref_args.adapters = []
    return ref_args


def load_reference(args: Any) -> Any | None:
    """The frozen reference model named by ``--ref_model``, or None.

    ``RLHFArguments`` sets ``ref_model`` to the policy's own checkpoint for full
    training (the policy's weights move, so the reference must be a copy). With an
    adapter tuner and no ``--ref_model`` the trainers use the policy with its
    adapter disabled instead, so nothing is loaded.
    """
    if not getattr(args, "ref_model", None):
        return None
    from swift_transformers.models.loading import load_model

    ref_model, _, _ = load_model(reference_arguments(args))
    ref_model.eval()
    ref_model.requires_grad_(False)
    say(f"reference model: {args.ref_model}")
    return ref_model


def config_values(
    args: Any, run_dir: str, config_cls: type, *, has_eval: bool, model_dtype: Any = None
) -> dict[str, Any]:
    """Keyword arguments for ``config_cls`` (a trl config or ``TrainingArguments``).

    The transformers fields are mapped exactly as for ``swift sft``
    (:func:`swift_transformers.train.hf_args.training_values`); then only those
    ``config_cls`` accepts are kept. trl configs default to bf16 and gradient
    checkpointing on; swift's own values always win, and bf16 stays off on CPU.
    """
    from swift_transformers.train.hf_args import training_values

    values = training_values(args, run_dir, has_eval=has_eval, model_dtype=model_dtype)
    accepted = {f.name for f in fields(config_cls) if f.init}
    values = {k: v for k, v in values.items() if k in accepted}
    # trl turns an unset bf16 into True; swift trains in the precision the weights have
    values["bf16"] = bool(values.get("bf16")) and not values.get("use_cpu")
    # rlhf trainers read extra columns (rejected ids, labels, prompts) from the batch
    values["remove_unused_columns"] = False
    return values


def param_group_optimizer(args: Any, tuner: Any, model: Any, hf_args: Any) -> tuple:
    """``(optimizer, None)`` over the tuner's own parameter groups (LoRA+), else ``(None, None)``.

    trl trainers are not ``SwiftTrainer``, so the optimizer with the tuner's groups
    is built up front and handed to them (``optimizers=``).
    """
    groups_of = getattr(tuner, "optimizer_param_groups", None)
    groups = groups_of(model, args) if groups_of is not None else None
    if not groups:
        return None, None
    from transformers import Trainer

    optimizer_cls, optimizer_kwargs = Trainer.get_optimizer_cls_and_kwargs(hf_args, model)
    return optimizer_cls(groups, **optimizer_kwargs), None


def callbacks(args: Any, model: Any, tuner: Any, run_dir: str) -> list:
    """The callbacks of ``swift sft``: logging.jsonl, args.json per checkpoint, tuner, LISA."""
    from swift_transformers.train.build import _callbacks

    return _callbacks(args, model, tuner, run_dir)


def train(trainer: Any, args: Any, checkpoint: str | None) -> Any:
    """``trainer.train()``, resuming from ``checkpoint`` (only its weights with
    ``--resume_only_model``)."""
    if checkpoint and args.resume_only_model:
        # weights only: a fresh optimizer and schedule, counting steps from 0
        trainer._load_from_checkpoint(checkpoint)
        say(f"loaded the weights of {checkpoint}; optimizer and step count start fresh")
        checkpoint = None
    return trainer.train(resume_from_checkpoint=checkpoint)


def finish_run(args: Any, trainer: Any, output: Any, run_dir: str, parameter_info: dict) -> dict:
    """Print, log and return the run summary (the same keys as ``swift sft``)."""
    from swift_transformers.train.recipe import _finish

    return _finish(args, trainer, output, run_dir, parameter_info)
