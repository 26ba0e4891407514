"""Bodies of ``swift pt``, ``swift sft`` and ``swift rlhf``: pick the trainer record and run it.

The trainer (a plugin) does the work: it composes models, templates, datasets
and tuners through their registries. Choosing it here keeps one rule for every
training method: the command (or ``--rlhf_type``) names a ``trainers`` record.
"""

from __future__ import annotations

from typing import Any

from swift.kernel import UsageError, load_object, registry


def run_trainer(method: str, args: Any, command: str) -> dict:
    """Run the trainer registered as ``method`` for ``command`` and return its summary."""
    record = registry("trainers").get(method)
    if record.command != command:
        raise UsageError(f"trainer {method!r} belongs to `swift {record.command}`, not `swift {command}`")
    run = load_object(record.load, what=f"trainer {method!r}")
    return run(args)


def sft_main(args: Any) -> dict:
    """Supervised fine-tuning with the ``sft`` trainer."""
    return run_trainer("sft", args, "sft")


def pt_main(args: Any) -> dict:
    """Pre-training with the ``pt`` trainer."""
    return run_trainer("pt", args, "pt")


def rlhf_main(args: Any) -> dict:
    """Alignment with the trainer named by ``--rlhf_type``."""
    return run_trainer(args.rlhf_type, args, "rlhf")
