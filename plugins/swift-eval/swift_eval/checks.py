"""What ``swift eval`` can check before any work (``swift_check_args``). Light: no lm-eval import."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from swift.kernel import UsageError

if TYPE_CHECKING:
    from swift.arguments import EvalArguments

BACKENDS = ("lm_eval",)
LOCAL_SUFFIXES = (".jsonl", ".json")


def is_local(name: str) -> bool:
    """Whether an ``--eval_dataset`` entry names a file rather than an lm-eval task."""
    return name.endswith(LOCAL_SUFFIXES) or os.sep in name or os.path.exists(name)


def check_args(args: EvalArguments) -> None:
    """Refuse what ``swift eval`` cannot do, before a model loads or a run folder exists.

    Raises:
        UsageError: An unknown backend, no dataset, a missing file, flags of another backend.
    """
    if args.eval_backend not in BACKENDS:
        raise UsageError(
            f"--eval_backend {args.eval_backend!r} is not installed; available: {', '.join(BACKENDS)} "
            "(EvalScope's Native/OpenCompass/VLMEvalKit backends can come as separate plugins)"
        )
    if not args.eval_dataset:
        raise UsageError(
            "--eval_dataset is required: lm-eval task names (arc_easy, gsm8k, mmlu …) or local jsonl files "
            "(rows with question/choices/answer, or question/answer)"
        )
    for name in args.eval_dataset:
        if is_local(name) and not os.path.isfile(name):
            raise UsageError(f"--eval_dataset {name}: no such file")
    if args.eval_dataset_args:
        raise UsageError("--eval_dataset_args is EvalScope's; with --eval_backend lm_eval pass --eval_args instead")
    if args.eval_num_proc < 1:
        raise UsageError(f"--eval_num_proc must be at least 1, got {args.eval_num_proc}")
    if args.eval_limit is not None and args.eval_limit < 1:
        raise UsageError(f"--eval_limit must be at least 1, got {args.eval_limit}")
    if args.eval_url and not args.model:
        raise UsageError("--eval_url needs --model: the name the server serves the model under")
