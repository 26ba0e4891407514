"""The preference recipes of ``swift rlhf``: dpo, orpo, simpo, cpo, kto.

Reading order of :func:`run_preference`:

1. start the run as ``swift sft`` does (run folder, policy, template, ``args.json``);
2. load the data (``messages`` + ``rejected_response``, or + ``label`` for KTO) and
   encode it with the run's template;
3. let the tuner (``--train_type``) wrap the policy; load ``--ref_model`` if the
   method compares against a reference (dpo, kto) — with an adapter tuner and no
   ``--ref_model`` the policy with its adapter switched off is the reference;
4. train with the trl trainer of the method (:mod:`.trainers`), writing
   ``logging.jsonl``, tensorboard ``runs/`` and ``checkpoint-N/``;
5. return the summary.
"""

from __future__ import annotations

from typing import Any

from swift_transformers import api as steps
from swift_transformers.api import say

from swift_trl.run import load_reference

# method -> (trainer class name in .trainers, unpaired data, compares with a reference)
METHODS: dict[str, tuple[str, bool, bool]] = {
    "dpo": ("SwiftDPOTrainer", False, True),
    "orpo": ("SwiftORPOTrainer", False, False),
    "simpo": ("SwiftCPOTrainer", False, False),
    "cpo": ("SwiftCPOTrainer", False, False),
    "kto": ("SwiftKTOTrainer", True, True),
}


def run_dpo(args: Any) -> dict:
    """``swift rlhf --rlhf_type dpo``."""
    return run_preference(args, "dpo")


def run_orpo(args: Any) -> dict:
    """``swift rlhf --rlhf_type orpo``."""
    return run_preference(args, "orpo")


def run_simpo(args: Any) -> dict:
    """``swift rlhf --rlhf_type simpo``."""
    return run_preference(args, "simpo")


def run_cpo(args: Any) -> dict:
    """``swift rlhf --rlhf_type cpo``."""
    return run_preference(args, "cpo")


def run_kto(args: Any) -> dict:
    """``swift rlhf --rlhf_type kto``."""
    return run_preference(args, "kto")


def run_preference(args: Any, method: str) -> dict:
    """Train ``method`` as described in the module docstring.

    Returns:
        The summary of ``swift sft`` (``output_dir``, ``last_model_checkpoint``,
        ``global_step``, ``train_loss`` …, ``log_history``).
    """
    from swift_transformers.api import build_callbacks, tuner_param_groups

    from swift.services import load_datasets
    from swift_trl.preference import trainers
    from swift_trl.preference.configs import build_config
    from swift_trl.preference.data import encode_preference_dataset

    trainer_name, unpaired, uses_reference = METHODS[method]
    run = steps.prepare_run(args, f"rlhf ({args.rlhf_type})")

    train_rows, val_rows = load_datasets(args)
    train_set = encode_preference_dataset(train_rows, run.template, args, unpaired=unpaired)
    val_set = None
    if val_rows is not None:
        val_set = encode_preference_dataset(val_rows, run.template, args, unpaired=unpaired, name="the validation set")
    if unpaired and args.train_dataloader_shuffle:
        # KTO reads rows in order (its KL pairs are neighbours): shuffle once, seeded
        train_set = train_set.shuffle(seed=args.data_seed)
    say(
        f"{method} training rows: {len(train_set)}"
        + (f", validation rows: {len(val_set)}" if val_set is not None else "")
    )

    model, tuner, parameter_info = steps.prepare_tuner(args, run.model, len(train_set))
    ref_model = load_reference(args) if uses_reference else None
    config = build_config(method, args, run.run_dir, has_eval=val_set is not None, model=model)
    say(f"{method}: beta={config.beta}, loss_type={getattr(config, 'loss_type', method)}")
    kwargs: dict[str, Any] = {"ref_model": ref_model} if uses_reference else {}
    trainer = getattr(trainers, trainer_name)(
        model=model,
        args=config,
        train_dataset=train_set,
        eval_dataset=val_set,
        processing_class=run.tokenizer,
        callbacks=build_callbacks(args, model, tuner, run.run_dir),
        tuner=tuner,
        param_groups=tuner_param_groups(args, tuner),
        media_template=run.template,
        **kwargs,
    )
    if args.padding_free:
        # trl pads the pairs; the backbone runs their real tokens as one row (swift_transformers.api)
        from swift_transformers.api import describe_packed_attention, unpad_padded_batches

        for one in (trainer.model, getattr(trainer, "ref_model", None)):
            if one is not None:
                unpad_padded_batches(one)
        say(f"padding-free pairs: attention {describe_packed_attention(trainer.model)} (never across samples)")
    output = steps.train(trainer, args, run.checkpoint)
    return steps.finish_run(args, trainer, output, run.run_dir, parameter_info)
