"""The other peft methods: BOFT, VeRA and FourierFT (targets shared with LoRA).

Each reads its typed settings once (:mod:`swift_peft.settings`) and builds its peft config.
"""

from __future__ import annotations

from typing import Any

from peft import BOFTConfig, FourierFTConfig, VeraConfig

from swift_peft.base import PeftTuner
from swift_peft.settings import BoftSettings, FourierSettings, VeraSettings


def boft_config(settings: BoftSettings, common: dict[str, Any]) -> BOFTConfig:
    """BOFT from ``--boft_block_size`` / ``--boft_block_num`` (exactly one non-zero)."""
    return BOFTConfig(
        boft_block_size=settings.block_size,
        boft_block_num=settings.block_num,
        boft_n_butterfly_factor=settings.n_butterfly_factor,
        boft_dropout=settings.dropout,
        **common,
    )


def vera_config(settings: VeraSettings, common: dict[str, Any]) -> VeraConfig:
    """VeRA from ``--vera_rank``, ``--vera_projection_prng_key`` and the other ``--vera_*`` flags."""
    return VeraConfig(
        r=settings.rank,
        projection_prng_key=settings.projection_prng_key,
        save_projection=settings.save_projection,
        vera_dropout=settings.dropout,
        d_initial=settings.d_initial,
        **common,
    )


def fourierft_config(settings: FourierSettings, common: dict[str, Any]) -> FourierFTConfig:
    """FourierFT from ``--fourier_n_frequency`` and ``--fourier_scaling``."""
    return FourierFTConfig(n_frequency=settings.n_frequency, scaling=settings.scaling, **common)


BOFT = PeftTuner("boft", boft_config, BoftSettings)
VERA = PeftTuner("vera", vera_config, VeraSettings)
FOURIERFT = PeftTuner("fourierft", fourierft_config, FourierSettings)
