"""The ``sft`` and ``pt`` recipes: compose model, template, data and tuner into one Trainer run.

Reading order of :func:`run_training` (the shared steps are in :mod:`.steps`):

1. join torchrun's process group (if any) and agree on the run folder; load the
   model (``--model``/``--model_type``) and bind its template (``prepare_run``);
2. load, encode (and with ``--packing`` pack) the datasets;
3. let the tuner (``--train_type``) prepare the model (``prepare_tuner``);
4. train with :class:`~swift_transformers.train.trainer.SwiftTrainer`, writing
   ``args.json``, ``logging.jsonl``, tensorboard ``runs/`` and ``checkpoint-N/``;
5. print and return the summary, and how to run inference on the result (``finish_run``).
"""

from __future__ import annotations

from typing import Any

from swift.kernel import UsageError
from swift_transformers.train import steps
from swift_transformers.train.build import build_classification_trainer, build_trainer
from swift_transformers.train.steps import say


def run_sft(args: Any) -> dict:
    """``swift sft``: supervised fine-tuning. Returns the run summary (see :func:`run_training`)."""
    return run_training(args, "sft")


def run_pt(args: Any) -> dict:
    """``swift pt``: pre-training on raw text (no chat template, loss on every token)."""
    return run_training(args, "pt")


def run_training(args: Any, command: str) -> dict:
    """Train as ``swift <command>`` does and return the summary.

    Args:
        args: ``TrainArguments`` (``sft``) or ``PretrainArguments`` (``pt``).
        command: ``sft`` or ``pt`` (for messages).

    Returns:
        The summary of :func:`~swift_transformers.train.steps.finish_run`.
    """
    from swift_transformers.data.encoding import encode_dataset
    from swift_transformers.data.loading import load_datasets

    run = steps.prepare_run(args, command)

    train_set, val_set = load_datasets(args)
    steps.check_template_drift(args, run, train_set)
    encoder = run.template
    if run.task is not None:
        from swift_transformers.data.classification import ClassificationEncoder

        encoder = ClassificationEncoder(run.template, run.task)
    train_set = encode_dataset(train_set, encoder, args)
    val_set = encode_dataset(val_set, encoder, args, name="the validation set") if val_set is not None else None
    if args.packing:
        train_set, val_set = _pack(args, run.model, run.template, train_set, val_set)
    n_train = _size(train_set)
    say(
        f"training rows: {n_train if n_train is not None else 'streamed'}"
        + (f", validation rows: {_size(val_set)}" if val_set is not None else "")
    )

    model, tuner, parameter_info = steps.prepare_tuner(args, run.model, n_train)
    if run.task is not None:
        trainer = build_classification_trainer(args, model, run.tokenizer, tuner, train_set, val_set, run.run_dir)
    else:
        trainer = build_trainer(args, model, run.tokenizer, tuner, train_set, val_set, run.run_dir)
    output = steps.train(trainer, args, run.checkpoint)
    return steps.finish_run(args, trainer, output, run.run_dir, parameter_info)


def _size(dataset: Any) -> int | None:
    # a stream (IterableDataset) has no length
    return len(dataset) if dataset is not None and hasattr(dataset, "__len__") else None


def _pack(args: Any, model: Any, template: Any, train_set: Any, val_set: Any):
    from swift_transformers.data.encoding import LazyEncodedDataset
    from swift_transformers.train.collator import LazyPackedDataset, pack_dataset

    if _size(train_set) is None:
        raise UsageError("--packing needs the whole dataset up front; drop --streaming")
    if args.predict_with_generate:
        raise UsageError("--predict_with_generate cannot split packed rows into prompts; drop --packing")
    max_length = args.max_length or template.max_length or getattr(model.config, "max_position_embeddings", None)
    if not max_length:
        raise UsageError("--packing needs --max_length (the length of a packed row)")
    lazy = isinstance(train_set, LazyEncodedDataset)  # --lazy_tokenize: plan from lengths, encode per packed row
    num_proc = int(getattr(args, "dataset_num_proc", 1) or 1)

    def pack(dataset: Any) -> Any:
        return LazyPackedDataset(dataset, max_length, num_proc=num_proc) if lazy else pack_dataset(dataset, max_length)

    packed_train = pack(train_set)
    samples = packed_train.samples if lazy else len(train_set)
    say(f"packed {samples} samples into {len(packed_train)} rows of <= {max_length} tokens")
    return packed_train, pack(val_set) if val_set is not None else None
