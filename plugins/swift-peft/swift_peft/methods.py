"""The other peft methods: BOFT, VeRA and FourierFT (targets shared with LoRA)."""

from __future__ import annotations

from typing import Any

from peft import BOFTConfig, FourierFTConfig, VeraConfig

from swift_peft.base import PeftTuner


def boft_config(args: Any, common: dict[str, Any]) -> BOFTConfig:
    """BOFT from ``--boft_block_size`` / ``--boft_block_num`` (exactly one non-zero)."""
    return BOFTConfig(
        boft_block_size=args.boft_block_size,
        boft_block_num=args.boft_block_num,
        boft_n_butterfly_factor=args.boft_n_butterfly_factor,
        boft_dropout=args.boft_dropout,
        **common,
    )


def vera_config(args: Any, common: dict[str, Any]) -> VeraConfig:
    """VeRA from ``--vera_rank``, ``--vera_projection_prng_key`` and the other ``--vera_*`` flags."""
    return VeraConfig(
        r=args.vera_rank,
        projection_prng_key=int(args.vera_projection_prng_key),
        save_projection=args.vera_save_projection,
        vera_dropout=args.vera_dropout,
        d_initial=args.vera_d_initial,
        **common,
    )


def fourierft_config(args: Any, common: dict[str, Any]) -> FourierFTConfig:
    """FourierFT from ``--fourier_n_frequency`` and ``--fourier_scaling``."""
    return FourierFTConfig(n_frequency=args.fourier_n_frequency, scaling=args.fourier_scaling, **common)


BOFT = PeftTuner("boft", boft_config)
VERA = PeftTuner("vera", vera_config)
FOURIERFT = PeftTuner("fourierft", fourierft_config)
