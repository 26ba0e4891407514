"""Merging adapters into their base model.

``swift export --merge_lora``, ``swift merge-lora`` and ``swift infer/deploy --merge_lora true``.

:func:`merge_adapters` is the one merge implementation: the base model through the
model-loading seam (:func:`swift.services.load_model`), the adapters loaded and folded
in by the tuner that trained them. Exporting adds the checks before any weights load,
a refusal to overwrite a non-empty folder and an ``args.json`` recording what was
merged (:func:`merge`); inference merges once into ``<checkpoint>-merged`` and reuses
it (:func:`merge_before_infer`), as ms-swift does.
"""

from __future__ import annotations

import copy
import os
import shutil
import sys
from typing import TYPE_CHECKING, Any

from swift.arguments.checkpoint import ARGS_FILE, find_run_args
from swift.arguments.infer import size_bytes
from swift.kernel import UsageError, registry
from swift.services import adapter_paths as _paths

if TYPE_CHECKING:
    from swift.arguments import ExportArguments, InferArguments


def adapter_paths(args: ExportArguments | InferArguments) -> list[str]:
    """The adapter folders of ``--adapters`` / ``--ckpt_dir`` (``name=path`` → ``path``)."""
    return _paths(args.adapters)


def is_nonempty_dir(path: str) -> bool:
    """Whether ``path`` is a folder holding at least one entry."""
    return os.path.isdir(path) and any(os.scandir(path))


def ensure_writable(output_dir: str, exist_ok: bool) -> None:
    """Refuse to write into an existing, non-empty ``output_dir`` unless ``--exist_ok true``.

    Raises:
        UsageError: ``output_dir`` is a file, or a non-empty folder without ``exist_ok``.
    """
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise UsageError(f"--output_dir {output_dir!r} is a file; give a folder path.")
    if is_nonempty_dir(output_dir) and not exist_ok:
        raise UsageError(
            f"the output folder {output_dir} already exists and is not empty; refusing to "
            "overwrite it. Remove it, choose another --output_dir, or pass --exist_ok true."
        )


def check_mergeable(args: ExportArguments | InferArguments) -> None:
    """Fail before loading anything when there is nothing to merge or no base model.

    Raises:
        UsageError: No adapters, a missing adapter folder, or an unknown base model.
    """
    paths = adapter_paths(args)
    if not paths:
        where = (
            f"--ckpt_dir {args.ckpt_dir} holds full weights (no adapter_config.json)"
            if getattr(args, "ckpt_dir", None)
            else "no --ckpt_dir or --adapters was given"
        )
        raise UsageError(f"nothing to merge: {where}. Pass the folder of a LoRA checkpoint.")
    for path in paths:
        if not os.path.isdir(path):
            raise UsageError(f"adapter folder {path!r} does not exist.")
    from swift.services import adapter_tuner

    train_type = adapter_tuner(getattr(args, "train_type", None))
    if not registry("tuners").get(train_type).mergeable:
        raise UsageError(
            f"adapters of --train_type {train_type} cannot be merged into the weights; "
            "use the checkpoint as it is (--adapters / --ckpt_dir)"
        )
    if not args.model:
        raise UsageError(
            f"cannot tell the base model of {paths[0]}: there is no args.json of its training "
            "run next to it. Pass the base model with --model <id or folder>."
        )


def merge_view(args: ExportArguments | InferArguments, output_dir: str) -> Any:
    """A copy of ``args`` for merging into ``output_dir``.

    The base model is loaded unquantized (``--quant_method`` of the export, or one
    restored from a QLoRA run, must not quantize the weights adapters are folded into),
    and the copy records ``merge_lora`` and the folder, so its args.json says what was merged.
    """
    view = copy.copy(args)
    view.quant_method = None
    view.quant_bits = None
    view.merge_lora = True
    view.output_dir = output_dir
    view.push_to_hub = False
    return view


def merge(args: ExportArguments | InferArguments, output_dir: str, *, reuse: bool = False) -> str:
    """Merge the adapters of ``args`` into their base model and save to ``output_dir``.

    Args:
        args: ``ExportArguments`` with ``model`` (base) and ``adapters``.
        output_dir: Destination folder.
        reuse: Keep an existing merged model in ``output_dir`` (one with a
            ``config.json``) instead of merging again, as ``swift infer --merge_lora``
            does; used for the intermediate folder of a quantizing export.

    Returns:
        ``output_dir``.
    """
    from swift.arguments import save_args

    check_mergeable(args)
    if reuse and os.path.isfile(os.path.join(output_dir, "config.json")):
        print(f"swift export: using the merged model in {output_dir}", file=sys.stderr)
        return output_dir
    ensure_writable(output_dir, args.exist_ok)
    view = merge_view(args, output_dir)
    merge_adapters(view, output_dir)
    save_args(view, output_dir)
    print(
        f"swift export: merged {', '.join(adapter_paths(args))} into {args.model}; saved to {output_dir}",
        file=sys.stderr,
    )
    return output_dir


def merged_dir(args: ExportArguments | InferArguments) -> str:
    """``<checkpoint>-merged`` for the first adapter (or ``--ckpt_dir``)."""
    source = getattr(args, "ckpt_dir", None) or adapter_paths(args)[0]
    return source.rstrip("/\\") + "-merged"


def merge_adapters(args: ExportArguments | InferArguments, output_dir: str) -> str:
    """Load the base model, merge every adapter of ``args`` into it and save to ``output_dir``."""
    from swift.contracts import load_tuner
    from swift.services import adapter_tuner, load_model
    from swift.services.checkpoints import copy_processor_files

    train_type = adapter_tuner(args.train_type)
    tuner = load_tuner(train_type)  # check_mergeable refused the tuners that cannot merge
    model, tokenizer, _ = load_model(args)
    for path in adapter_paths(args):
        model = tuner.merge(tuner.load(model, path, is_trainable=False))
    model.save_pretrained(output_dir, max_shard_size=size_bytes(args.max_shard_size))
    tokenizer.save_pretrained(output_dir)
    copy_processor_files(getattr(tokenizer, "name_or_path", None), output_dir)
    run_args = find_run_args(adapter_paths(args)[0])
    if run_args is not None:
        # `swift infer --model <merged>` then restores template and system like the checkpoint.
        shutil.copy(run_args, os.path.join(output_dir, ARGS_FILE))
    return output_dir


def merge_before_infer(args: ExportArguments | InferArguments) -> str:
    """Merge (or reuse ``<checkpoint>-merged``) and point ``args`` at the merged model."""
    output_dir = merged_dir(args)
    if os.path.isfile(os.path.join(output_dir, "config.json")):
        print(f"swift infer: using the merged model in {output_dir}", file=sys.stderr)
    else:
        # unquantized base weights: a QLoRA run's --quant_method must not apply to the merge
        merge_adapters(merge_view(args, output_dir), output_dir)
        print(f"swift infer: merged the adapters into {output_dir}", file=sys.stderr)
    args.model = output_dir
    args.adapters = []
    args.ckpt_dir = output_dir
    return output_dir
