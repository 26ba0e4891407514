"""Bodies of ``swift pt``, ``swift sft`` and ``swift rlhf``: pick the trainer record and run it.

The trainer (a plugin) does the work: it composes models, templates, datasets
and tuners through their registries. Choosing it here keeps one rule for every
training method: the command (or ``--rlhf_type``) names a ``trainers`` record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from swift.contracts import load_trainer
from swift.pipelines.checks import trainer_method

if TYPE_CHECKING:
    from swift.arguments import TrainArguments


def run_trainer(command: str, args: TrainArguments) -> dict:
    """Run the trainer of ``command`` (checked by :mod:`swift.pipelines.checks` before) and return its summary."""
    return load_trainer(trainer_method(command, args))(args)


def sft_main(args: TrainArguments) -> dict:
    """Supervised fine-tuning with the ``sft`` trainer."""
    return run_trainer("sft", args)


def pt_main(args: TrainArguments) -> dict:
    """Pre-training with the ``pt`` trainer."""
    return run_trainer("pt", args)


def rlhf_main(args: TrainArguments) -> dict:
    """Alignment with the trainer named by ``--rlhf_type``."""
    return run_trainer("rlhf", args)
