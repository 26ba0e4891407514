"""The merge step of ``swift export`` / ``swift merge-lora`` and the output-folder rules.

Merging itself is :func:`swift.pipelines.infer_merge.merge_adapters` (the one merge
implementation, shared with ``swift infer --merge_lora``): base model through the
models plugin, adapters loaded and folded in by the tuner that trained them. This
module adds what exporting needs around it: the checks before any weights load, a
refusal to overwrite a non-empty folder, and an ``args.json`` recording what was merged.
"""

from __future__ import annotations

import copy
import os
import sys
from typing import Any

from swift.kernel import UsageError


def adapter_paths(args: Any) -> list[str]:
    """The adapter folders of ``--adapters`` / ``--ckpt_dir`` (``name=path`` → ``path``)."""
    return [a.split("=", 1)[1] if "=" in a and not os.path.exists(a) else a for a in args.adapters]


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


def check_mergeable(args: Any) -> None:
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
    if not args.model:
        raise UsageError(
            f"cannot tell the base model of {paths[0]}: there is no args.json of its training "
            "run next to it. Pass the base model with --model <id or folder>."
        )


def merge_view(args: Any, output_dir: str) -> Any:
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


def merge(args: Any, output_dir: str, *, reuse: bool = False) -> str:
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
    from swift.pipelines.infer_merge import merge_adapters

    check_mergeable(args)
    if reuse and os.path.isfile(os.path.join(output_dir, "config.json")):
        print(f"swift export: using the merged model in {output_dir}", file=sys.stderr)
        return output_dir
    ensure_writable(output_dir, args.exist_ok)
    if not args.safe_serialization:
        print(
            "swift export: note: transformers 5 writes safetensors only; "
            "--safe_serialization false has no effect.",
            file=sys.stderr,
        )
    view = merge_view(args, output_dir)
    merge_adapters(view, output_dir)
    save_args(view, output_dir)
    print(
        f"swift export: merged {', '.join(adapter_paths(args))} into {args.model}; "
        f"saved to {output_dir}",
        file=sys.stderr,
    )
    return output_dir
