"""Records of the trainers and losses this plugin provides. Light: no torch here."""

from __future__ import annotations

from swift.kernel import LossRecord, TrainerRecord

_PKG = "swift_transformers.train"

TRAINER_RECORDS = (
    TrainerRecord(
        name="sft",
        load=f"{_PKG}.recipe:run_sft",
        summary="Supervised fine-tuning on chat data with the transformers Trainer.",
        command="sft",
    ),
    TrainerRecord(
        name="pt",
        load=f"{_PKG}.recipe:run_pt",
        summary="Pre-training (continued training) on raw text with the transformers Trainer.",
        command="pt",
    ),
)

LOSS_RECORDS = (
    LossRecord(
        name="cross_entropy",
        load=f"{_PKG}.losses:cross_entropy",
        summary="Token-level cross-entropy over trained tokens (the default).",
        aliases=("ce",),
        kind="loss",
    ),
    LossRecord(
        name="dft",
        load=f"{_PKG}.losses:dft",
        summary="Dynamic fine-tuning: each token's cross-entropy weighted by its probability.",
        kind="loss",
    ),
)
