"""The tuning methods swift-peft registers (``--train_type``). Light: records only."""

from __future__ import annotations

from swift.kernel import TunerRecord

TUNER_RECORDS: tuple[TunerRecord, ...] = (
    TunerRecord(
        name="lora",
        load="swift_peft.lora:LORA",
        summary=(
            "LoRA; DoRA (--use_dora), rsLoRA (--use_rslora), PiSSA/OLoRA (--init_lora_weights), "
            "LoRA+ (--lorap_lr_ratio)"
        ),
    ),
    TunerRecord(
        name="adalora",
        load="swift_peft.adalora:ADALORA",
        summary="AdaLoRA: LoRA whose ranks are reallocated during training (needs --max_steps)",
    ),
    TunerRecord(
        name="boft",
        load="swift_peft.methods:BOFT",
        summary="BOFT: butterfly orthogonal fine-tuning (--boft_block_size / --boft_block_num)",
    ),
    TunerRecord(
        name="vera",
        load="swift_peft.methods:VERA",
        summary="VeRA: shared frozen random projections with trained scaling vectors (--vera_rank)",
    ),
    TunerRecord(
        name="fourierft",
        load="swift_peft.methods:FOURIERFT",
        summary="FourierFT: trains a few spectral coefficients per layer (--fourier_n_frequency)",
    ),
    TunerRecord(
        name="llamapro",
        load="swift_peft.llamapro:LLAMAPRO",
        summary="LLaMA-Pro: identity-initialised blocks inserted per group; only they train (--llamapro_*)",
    ),
    TunerRecord(
        name="reft",
        load="swift_peft.reft:REFT",
        summary="ReFT: trained low-rank interventions on hidden states (--reft_*); not mergeable",
        mergeable=False,
    ),
    TunerRecord(
        name="full",
        load="swift_peft.full:FULL",
        summary="Full-parameter training: every weight is trained and saved",
        mergeable=False,
        full=True,
    ),
)
