"""Records of the ``swift rlhf`` trainers (selected by ``--rlhf_type``). Light: no torch here."""

from __future__ import annotations

from swift.kernel import TrainerRecord

_PREF = "swift_trl.preference.recipe"

TRAINER_RECORDS = (
    TrainerRecord(
        name="dpo",
        load=f"{_PREF}:run_dpo",
        summary="Direct preference optimisation on chosen/rejected pairs (trl DPOTrainer).",
    ),
    TrainerRecord(
        name="orpo",
        load=f"{_PREF}:run_orpo",
        summary="Odds-ratio preference optimisation, no reference model (trl ORPOTrainer).",
    ),
    TrainerRecord(
        name="simpo",
        load=f"{_PREF}:run_simpo",
        summary="SimPO: length-normalised margin loss, no reference model (trl CPOTrainer).",
    ),
    TrainerRecord(
        name="cpo",
        load=f"{_PREF}:run_cpo",
        summary="Contrastive preference optimisation, no reference model (trl CPOTrainer).",
    ),
    TrainerRecord(
        name="kto",
        load=f"{_PREF}:run_kto",
        summary="Kahneman-Tversky optimisation on responses labelled good or bad (trl KTOTrainer).",
    ),
    TrainerRecord(
        name="grpo",
        load="swift_trl.grpo.recipe:run_grpo",
        summary="Group relative policy optimisation: sampled groups scored by reward plugins.",
    ),
)
