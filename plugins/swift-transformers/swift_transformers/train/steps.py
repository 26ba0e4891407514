"""The steps every swift training recipe shares (``swift sft``/``pt`` and ``swift rlhf``).

A recipe reads::

    run = prepare_run(args, "sft")                 # group, folder, seed, model, template, args.json
    ...                                            # the recipe's own data
    model, tuner, info = prepare_tuner(args, run.model, n_rows)
    trainer = ...                                  # with SwiftTrainerMixin, build_callbacks(...)
    output = train(trainer, args, run.checkpoint)
    return finish_run(args, trainer, output, run.run_dir, info)
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from typing import Any

from swift.arguments import save_args
from swift.arguments.checkpoint import is_adapter_dir
from swift.contracts import load_tuner
from swift.kernel import UsageError
from swift.template import get_template, model_template
from swift_transformers.train import run_dir as runs
from swift_transformers.train.callbacks import LOGGING_FILE, append_jsonl


def say(message: str) -> None:
    """One progress line on stderr, from the main process only."""
    if runs.is_main_process():
        print(f"swift: {message}", file=sys.stderr, flush=True)


@dataclass
class Run:
    """What :func:`prepare_run` set up.

    Attributes:
        run_dir: The versioned output folder (``args.output_dir`` points to it too).
        checkpoint: ``--resume_from_checkpoint`` as an absolute path, or None.
        model: The loaded model, not yet wrapped by the tuner.
        tokenizer: Its tokenizer.
        template: The template bound to the tokenizer (``args`` options applied).
        task: The classification task (``--task_type seq_cls``), None for a language model.
    """

    run_dir: str
    checkpoint: str | None
    model: Any
    tokenizer: Any
    template: Any
    task: Any = None


def prepare_run(args: Any, label: str) -> Run:
    """The first steps of a run: checks, process group, run folder, seed, model, template.

    (The flags were checked before the command started: :mod:`swift_transformers.checks`.) Joins
    torchrun's group, agrees on the run folder, seeds, loads ``--model`` and binds its
    template, fills ``args.model_type``/``args.template`` from the model record and
    writes ``args.json`` (main process).

    Args:
        args: The command's arguments (``TrainArguments``, ``RLHFArguments`` …).
        label: How progress lines name the run (``sft``, ``rlhf (dpo)``).
    """
    from transformers import set_seed

    from swift_transformers.models.loading import load_model
    from swift_transformers.models.tasks import model_task

    runs.init_distributed(args)
    run_dir = runs.choose_run_dir(args)
    checkpoint = runs.resume_checkpoint(args)
    set_seed(args.seed)
    model, tokenizer, record = load_model(args)
    if isinstance(args.model, str) and os.path.isdir(args.model):
        # args.json names the base of an adapter: a relative folder would not resolve from elsewhere
        args.model = os.path.abspath(args.model)
    args.model_type = args.model_type or record.name
    if getattr(args, "lazy_tokenize", False) is None:  # ms-swift: on for multimodal models, off for text
        from swift_transformers.vision.catalog import VISION_TAG

        args.lazy_tokenize = VISION_TAG in record.tags
    template = get_template(model_template(args.template, record.template, tokenizer), tokenizer, args)
    args.template = args.template or template.name
    task = model_task(model)
    if task is not None:  # args.json says what head to load again
        args.task_type, args.num_labels, args.problem_type = "seq_cls", task.num_labels, task.problem_type
    if runs.is_main_process():
        save_args(args, run_dir)
    say(f"{label} run folder: {run_dir}")
    return Run(run_dir, checkpoint, model, tokenizer, template, task)


def check_template_drift(args: Any, run: Run, rows: Any) -> None:
    """Warn when the first training rows encode differently than with the model's own chat template.

    Only for swift's chat templates (``--template_backend jinja`` *is* the model's template)
    and tokenizers that ship one; streamed data is not read ahead for it.
    """
    from swift.template.check import check_rows, drift_warning

    template, tokenizer = run.template, run.tokenizer
    if run.task is not None:  # a classifier reads the prompt only, nothing to compare
        return
    if getattr(template, "template_backend", "swift") != "swift" or not getattr(template, "use_chat_template", False):
        return
    if not getattr(tokenizer, "chat_template", None) or not hasattr(rows, "__len__"):
        return
    warning = drift_warning(check_rows(template, tokenizer, rows), tokenizer, template.name, args.model)
    if warning:
        say("WARNING: " + warning)


def prepare_tuner(args: Any, model: Any, n_rows: int | None) -> tuple[Any, Any, dict]:
    """Wrap ``model`` with the ``--train_type`` tuner.

    Args:
        args: The run's arguments.
        model: The loaded model.
        n_rows: Rows per epoch as the trainer counts them (to tell AdaLoRA the number
            of optimizer steps, see :func:`estimate_steps`); None for a stream.

    Returns:
        ``(model, tuner, parameter_info)``, the last from :func:`describe_parameters`.
    """
    from transformers import set_seed

    tuner = load_tuner(args.train_type)
    total_steps = estimate_steps(args, n_rows)
    set_seed(args.seed)  # the tuner initialises weights from the global RNG
    model = tuner.prepare(model, args, total_steps=total_steps)
    parameter_info = describe_parameters(model)
    say(f"{args.train_type}: {parameter_info['summary']}")
    return model, tuner, parameter_info


def estimate_steps(args: Any, n_rows: int | None) -> int:
    """Optimizer steps of the run: ``--max_steps``, else epochs × batches per epoch."""
    if args.max_steps and args.max_steps > 0:
        return int(args.max_steps)
    if n_rows is None:
        raise UsageError("a streamed dataset has no length: pass --max_steps")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    batches = math.ceil(n_rows / (args.per_device_train_batch_size * world))
    per_epoch = max(1, batches // max(1, args.gradient_accumulation_steps))
    return max(1, math.ceil(args.num_train_epochs * per_epoch))


def describe_parameters(model: Any) -> dict[str, Any]:
    """Trainable and total parameter counts (millions) and a one-line summary."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    share = 100 * trainable / total if total else 0.0
    return {
        "total(M)": round(total / 1e6, 4),
        "trainable(M)": round(trainable / 1e6, 4),
        "trainable(%)": round(share, 4),
        "summary": f"trainable params: {trainable:,} || all params: {total:,} || trainable%: {share:.4f}",
    }


def train(trainer: Any, args: Any, checkpoint: str | None) -> Any:
    """``trainer.train()``, resuming from ``checkpoint``.

    With ``--resume_only_model`` only the checkpoint's weights are loaded: a fresh
    optimizer and schedule, counting steps from 0.
    """
    if checkpoint and args.resume_only_model:
        trainer._load_from_checkpoint(checkpoint)
        say(f"loaded the weights of {checkpoint}; optimizer and step count start fresh")
        checkpoint = None
    return trainer.train(resume_from_checkpoint=checkpoint)


def last_checkpoint(run_dir: str) -> str | None:
    """The ``checkpoint-N`` folder of ``run_dir`` with the highest N."""
    found = []
    for name in os.listdir(run_dir):
        prefix, _, step = name.partition("-")
        if prefix == "checkpoint" and step.isdigit() and os.path.isdir(os.path.join(run_dir, name)):
            found.append((int(step), os.path.join(run_dir, name)))
    return max(found)[1] if found else None


def finish_run(args: Any, trainer: Any, output: Any, run_dir: str, parameter_info: dict) -> dict:
    """Log, print and return the summary of a finished run.

    Appends the summary to ``logging.jsonl`` and prints the checkpoints and how to
    chat with the result (main process).

    Returns:
        ``{"output_dir", "last_model_checkpoint", "best_model_checkpoint",
        "best_metric", "global_step", "train_loss", "train_runtime", "memory(GiB)",
        "model_parameter_info", "log_history"}``.
    """
    from swift_transformers.train.mixins import peak_memory_gib

    state = trainer.state
    summary = {
        "output_dir": run_dir,
        "last_model_checkpoint": last_checkpoint(run_dir),
        "best_model_checkpoint": state.best_model_checkpoint,
        "best_metric": state.best_metric,
        "global_step": state.global_step,
        "train_loss": output.training_loss,
        "train_runtime": output.metrics.get("train_runtime"),
        "memory(GiB)": peak_memory_gib(),
        "model_parameter_info": {k: v for k, v in parameter_info.items() if k != "summary"},
    }
    runs.barrier()
    if runs.is_main_process():
        append_jsonl(os.path.join(run_dir, LOGGING_FILE), summary)
        for key in ("last_model_checkpoint", "best_model_checkpoint", "global_step", "train_loss"):
            print(f"{key}: {summary[key]}")
        if summary["last_model_checkpoint"]:
            # an adapter folder is loaded on its base; anything else (full, LLaMA-Pro) is a model
            flag = "--adapters" if is_adapter_dir(summary["last_model_checkpoint"]) else "--model"
            print(f"To chat with the trained model: swift infer {flag} {summary['last_model_checkpoint']}")
    summary["log_history"] = state.log_history
    return summary
