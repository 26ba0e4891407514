"""What ``swift eval`` checks before any work, whatever the backend (``swift_check_args``). Light: no lm-eval import.

The core resolves ``--eval_backend`` in the ``eval_backends`` family; the backend checks its
datasets when it is built (:class:`swift.contracts.EvalBackend`), still before the model loads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from swift.kernel import UsageError

if TYPE_CHECKING:
    from swift.arguments import EvalArguments


def check_args(args: EvalArguments) -> None:
    """Refuse what no backend can do.

    Raises:
        UsageError: No dataset, a bad count, ``--eval_url`` without the served name.
    """
    if not args.eval_dataset:
        raise UsageError(
            "--eval_dataset is required: lm-eval task names (arc_easy, gsm8k, mmlu …) or local jsonl files "
            "(rows with question/choices/answer, or question/answer)"
        )
    if args.eval_num_proc < 1:
        raise UsageError(f"--eval_num_proc must be at least 1, got {args.eval_num_proc}")
    if args.eval_limit is not None and args.eval_limit < 1:
        raise UsageError(f"--eval_limit must be at least 1, got {args.eval_limit}")
    if args.eval_url and not args.model:
        raise UsageError("--eval_url needs --model: the name the server serves the model under")
