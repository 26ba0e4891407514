"""Assemble the ``SwiftTrainer`` of a run: training arguments, collator, loss, metrics, callbacks.

Each training flag that is not a plain transformers field is resolved here:
``--loss_type`` (losses registry), ``--metric``, ``--acc_strategy``,
``--optimizer``/``--lorap_lr_ratio`` (tuner parameter groups), the tuner's
callback (AdaLoRA), LISA and ``--callbacks``. :func:`build_callbacks` and
:func:`tuner_param_groups` serve every swift trainer (``swift rlhf`` too).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from swift.kernel import UsageError, load_object, registry
from swift_transformers.checks import check_lisa, check_metric, check_optimizer
from swift_transformers.train.callbacks import (
    LOGGING_FILE,
    FinalStepCallback,
    JsonlLoggingCallback,
    LisaCallback,
)


def _metrics(args: Any, tokenizer: Any) -> tuple[Any, Any]:
    from swift_transformers.train.metrics import (
        argmax_logits,
        make_accuracy_metric,
        make_generation_metric,
    )

    check_metric(args)
    metric = args.metric or ("nlg" if args.predict_with_generate else "acc")
    if metric != "acc":
        return make_generation_metric(tokenizer, metric), None
    return make_accuracy_metric(args.acc_strategy), argmax_logits


def build_callbacks(args: Any, model: Any, tuner: Any, run_dir: str) -> list:
    """The callbacks of every swift training run.

    ``logging.jsonl``, a save and an
    evaluation at the last step, the tuner's own callback (AdaLoRA), LISA
    (``--lisa_activated_layers``), ``--activation_offloading`` and each ``--callbacks`` class.
    """
    callbacks = [
        FinalStepCallback(),
        JsonlLoggingCallback(os.path.join(run_dir, LOGGING_FILE)),
    ]
    tuner_callback = getattr(tuner, "callback", None)
    if tuner_callback is not None and (cb := tuner_callback(model, args)) is not None:
        callbacks.append(cb)
    if args.lisa_activated_layers:
        check_lisa(args)
        callbacks.append(
            LisaCallback(
                _lisa_layers(model),
                args.lisa_activated_layers,
                args.lisa_step_interval,
                args.seed,
            )
        )
    if getattr(args, "activation_offloading", False):
        from swift_transformers.train.offload import ActivationOffloadCallback

        callbacks.append(ActivationOffloadCallback(model, args.activation_offloading_layers))
    for name in args.callbacks:
        if ":" not in name:
            raise UsageError(f"--callbacks {name!r}: give a TrainerCallback as 'package.module:ClassName'")
        callback = load_object(name, what=f"callback {name!r}")
        callbacks.append(callback() if isinstance(callback, type) else callback)
    return callbacks


def _lisa_layers(model: Any) -> list:
    from swift_transformers.train.unwrap import decoder_layers

    try:
        return decoder_layers(model)
    except ValueError as exc:
        raise UsageError(f"LISA needs a model whose decoder layers form a ModuleList: {exc}") from None


def tuner_param_groups(args: Any, tuner: Any) -> Callable[[Any], list[dict] | None] | None:
    """``fn(model)`` giving the tuner's optimizer parameter groups (LoRA+), or None.

    For :class:`~swift_transformers.train.mixins.TunerOptimizerMixin`'s ``param_groups``.

    Raises:
        UsageError: For an ``--optimizer`` other than ``lorap``, or ``lorap`` without
            ``--lorap_lr_ratio``.
    """
    check_optimizer(args)
    groups_of = getattr(tuner, "optimizer_param_groups", None)
    if groups_of is None:
        return None
    return lambda model: groups_of(model, args)


def build_trainer(args, model, tokenizer, tuner, train_set, val_set, run_dir):
    """The ``SwiftTrainer`` for ``args``, writing into ``run_dir``."""
    from swift_transformers.train.collator import PaddingCollator, PaddingFreeCollator
    from swift_transformers.train.hf_args import build_training_arguments
    from swift_transformers.train.trainer import SwiftTrainer

    hf_args = build_training_arguments(
        args, run_dir, has_eval=val_set is not None, model_dtype=getattr(model, "dtype", None)
    )
    compute_metrics, preprocess = _metrics(args, tokenizer) if val_set is not None else (None, None)
    loss_fn = None
    if args.loss_type:
        loss_record = registry("losses").get(args.loss_type)
        if loss_record.kind != "loss":
            raise UsageError(f"--loss_type {args.loss_type!r} is a {loss_record.kind} strategy, not a loss")
        loss_fn = load_object(loss_record.load, what=f"loss {loss_record.name!r}")
    collator = PaddingCollator(tokenizer.pad_token_id)
    sequence_parallel = args.sequence_parallel_size > 1
    if args.padding_free or sequence_parallel:
        collator = PaddingFreeCollator(tokenizer.pad_token_id)
    if sequence_parallel:
        from swift_transformers.train.sequence_parallel import use_sequence_parallel
        from swift_transformers.train.steps import say

        try:
            use_sequence_parallel(model, args.sequence_parallel_size)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        # the ranks share each row's tokens, not the batch: no averaging of token counts across them
        hf_args.average_tokens_across_devices = False
        say(f"sequence parallel: {args.sequence_parallel_size} ranks share each padding-free row (Ulysses attention)")
    elif args.padding_free or args.packing:
        from swift_transformers.train.steps import say
        from swift_transformers.train.varlen import describe_packed_attention, use_packed_attention

        mode = "padding-free" if args.padding_free else "packed"
        use_packed_attention(model)
        say(f"{mode} rows: attention {describe_packed_attention(model)} (never across samples, no dense mask)")
    return SwiftTrainer(
        model=model,
        args=hf_args,
        data_collator=collator,
        train_dataset=train_set,
        eval_dataset=val_set,
        processing_class=tokenizer,
        compute_loss_func=loss_fn,
        compute_metrics=compute_metrics,
        preprocess_logits_for_metrics=preprocess,
        callbacks=build_callbacks(args, model, tuner, run_dir),
        tuner=tuner,
        param_groups=tuner_param_groups(args, tuner),
        acc_strategy=args.acc_strategy,
        generation_kwargs={"max_new_tokens": args.max_new_tokens, "temperature": args.temperature},
        loss_chunk_size=0 if args.use_liger_kernel else args.loss_chunk_size,
        sequence_parallel_size=args.sequence_parallel_size,
    )


def build_classification_trainer(args, model, tokenizer, tuner, train_set, val_set, run_dir):
    """The ``ClassificationTrainer`` of ``--task_type seq_cls`` (see :mod:`.classification`)."""
    from swift_transformers.train.classification import ClassificationTrainer, make_classification_metric
    from swift_transformers.train.collator import ClassificationCollator
    from swift_transformers.train.hf_args import build_training_arguments

    config = getattr(model, "config", None)
    problem_type, num_labels = args.problem_type, args.num_labels
    hf_args = build_training_arguments(
        args, run_dir, has_eval=val_set is not None, model_dtype=getattr(model, "dtype", None)
    )
    if getattr(hf_args, "predict_with_generate", False):
        raise UsageError("--predict_with_generate: a classifier generates no text; drop it with --task_type seq_cls")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else getattr(config, "pad_token_id", 0)
    return ClassificationTrainer(
        model=model,
        args=hf_args,
        data_collator=ClassificationCollator(pad_id),
        train_dataset=train_set,
        eval_dataset=val_set,
        processing_class=tokenizer,
        compute_metrics=make_classification_metric(problem_type, num_labels) if val_set is not None else None,
        callbacks=build_callbacks(args, model, tuner, run_dir),
        tuner=tuner,
        param_groups=tuner_param_groups(args, tuner),
        problem_type=problem_type,
    )
