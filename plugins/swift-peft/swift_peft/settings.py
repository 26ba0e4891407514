"""Typed settings of the LoRA family, read from the arguments once.

A tuner builds its settings at the start of ``prepare`` (``LoraSettings.from_args``)
and passes them on; nothing below it reads the arguments object, and nothing is
written back into it (the total number of steps arrives as ``total_steps``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from swift.kernel import UsageError

if TYPE_CHECKING:
    from swift.arguments import TrainArguments


@dataclass(frozen=True)
class TargetSettings:
    """Which modules a peft method adapts or trains fully.

    Attributes:
        target_modules: ``--target_modules`` (``all-linear`` by default).
        target_regex: ``--target_regex``; wins over ``target_modules``.
        modules_to_save: ``--modules_to_save`` (trained and saved in full).
        freeze_llm: ``--freeze_llm``: ``all-linear`` leaves the language model of a
            vision-language model out.
        freeze_vit: ``--freeze_vit``: … the vision tower (on by default).
        freeze_aligner: ``--freeze_aligner``: … the aligner (on by default).
    """

    target_modules: tuple[str, ...] = ("all-linear",)
    target_regex: str | None = None
    modules_to_save: tuple[str, ...] = ()
    freeze_llm: bool = False
    freeze_vit: bool = True
    freeze_aligner: bool = True

    @classmethod
    def from_args(cls, args: TrainArguments) -> TargetSettings:
        """Read the target flags of ``args``."""
        return cls(
            target_modules=tuple(getattr(args, "target_modules", None) or ("all-linear",)),
            target_regex=getattr(args, "target_regex", None) or None,
            modules_to_save=tuple(getattr(args, "modules_to_save", None) or ()),
            freeze_llm=bool(getattr(args, "freeze_llm", False)),
            freeze_vit=bool(getattr(args, "freeze_vit", True)),
            freeze_aligner=bool(getattr(args, "freeze_aligner", True)),
        )

    def frozen_parts(self, model: Any) -> tuple[Any, tuple[str, ...]]:
        """``(parts, frozen part names)`` of ``model`` (:mod:`swift.contracts.parts`); no parts for text models."""
        from swift.contracts.parts import model_parts

        parts = model_parts(model)
        if parts is None:
            return None, ()
        return parts, parts.frozen(
            freeze_llm=self.freeze_llm, freeze_vit=self.freeze_vit, freeze_aligner=self.freeze_aligner
        )


@dataclass(frozen=True)
class LoraSettings:
    """``--lora_*`` and friends.

    Attributes:
        rank: ``--lora_rank``.
        alpha: ``--lora_alpha``.
        dropout: ``--lora_dropout``.
        bias: ``--lora_bias`` (``none`` / ``all``).
        use_dora: ``--use_dora``.
        use_rslora: ``--use_rslora``.
        init_weights: ``--init_lora_weights`` as peft takes it (see ``peft_init_lora_weights``).
        dtype: ``--lora_dtype`` or ``None``.
        plus_lr_ratio: ``--lorap_lr_ratio`` (LoRA+), ``None`` when unset.
        learning_rate: ``--learning_rate`` (LoRA+ groups scale it).
        weight_decay: ``--weight_decay`` (LoRA+ groups carry it).
    """

    rank: int = 8
    alpha: int = 32
    dropout: float = 0.05
    bias: str = "none"
    use_dora: bool = False
    use_rslora: bool = False
    init_weights: bool | str = True
    dtype: str | None = None
    plus_lr_ratio: float | None = None
    learning_rate: float = 1e-4
    weight_decay: float = 0.0

    @classmethod
    def from_args(cls, args: TrainArguments) -> LoraSettings:
        """Read the LoRA flags of ``args`` (validating ``--init_lora_weights``)."""
        from swift_peft.lora import peft_init_lora_weights

        return cls(
            rank=args.lora_rank,
            alpha=args.lora_alpha,
            dropout=args.lora_dropout,
            bias=args.lora_bias,
            use_dora=bool(getattr(args, "use_dora", False)),
            use_rslora=bool(getattr(args, "use_rslora", False)),
            init_weights=peft_init_lora_weights(getattr(args, "init_lora_weights", True)),
            dtype=getattr(args, "lora_dtype", None),
            plus_lr_ratio=getattr(args, "lorap_lr_ratio", None) or None,
            learning_rate=float(getattr(args, "learning_rate", 1e-4) or 0.0),
            weight_decay=float(getattr(args, "weight_decay", 0.0) or 0.0),
        )


@dataclass(frozen=True)
class AdaLoraSettings:
    """``--adalora_*`` plus the LoRA fields AdaLoRA shares and the run's total steps."""

    lora: LoraSettings
    total_steps: int
    init_r: int = 12
    target_r: int = 8
    tinit: int = 0
    tfinal: int = 0
    delta_t: int = 1
    beta1: float = 0.85
    beta2: float = 0.85
    orth_reg_weight: float = 0.5

    @classmethod
    def from_args(cls, args: TrainArguments, total_steps: int | None) -> AdaLoraSettings:
        """Read the AdaLoRA flags; ``--max_steps`` wins over the trainer's ``total_steps``.

        Raises:
            UsageError: The total is unknown, the schedule leaves no step to reallocate
                in, or ``--init_lora_weights`` is not a boolean.
        """
        lora = LoraSettings.from_args(args)
        if not isinstance(lora.init_weights, bool):
            raise UsageError(
                f"--init_lora_weights {args.init_lora_weights} does not apply to adalora; use true or false."
            )
        steps = _total(getattr(args, "max_steps", -1), total_steps)
        settings = cls(
            lora=lora,
            total_steps=steps,
            init_r=args.adalora_init_r,
            target_r=args.adalora_target_r,
            tinit=args.adalora_tinit,
            tfinal=args.adalora_tfinal,
            delta_t=args.adalora_deltaT,
            beta1=args.adalora_beta1,
            beta2=args.adalora_beta2,
            orth_reg_weight=args.adalora_orth_reg_weight,
        )
        if settings.tinit >= steps - settings.tfinal:
            raise UsageError(
                f"--adalora_tinit {settings.tinit} + --adalora_tfinal {settings.tfinal} "
                f"leave no step of the {steps} to reallocate ranks in; lower them or train longer."
            )
        return settings


def _total(max_steps: int | None, total_steps: int | None) -> int:
    for value in (max_steps, total_steps):
        if value is not None and value > 0:
            return int(value)
    raise UsageError(
        "--train_type adalora needs the total number of training steps: pass --max_steps N "
        "(trainers pass it to prepare(..., total_steps=N))."
    )


@dataclass(frozen=True)
class BoftSettings:
    """``--boft_*``: block size or block count (one of them non-zero), butterfly factor, dropout."""

    block_size: int = 4
    block_num: int = 0
    n_butterfly_factor: int = 1
    dropout: float = 0.0

    @classmethod
    def from_args(cls, args: TrainArguments) -> BoftSettings:
        """Read the BOFT flags of ``args``."""
        return cls(args.boft_block_size, args.boft_block_num, args.boft_n_butterfly_factor, args.boft_dropout)


@dataclass(frozen=True)
class VeraSettings:
    """``--vera_*``: rank, projection seed and whether to save the projections, dropout, initial d."""

    rank: int = 256
    projection_prng_key: int = 0
    save_projection: bool = True
    dropout: float = 0.0
    d_initial: float = 0.1

    @classmethod
    def from_args(cls, args: TrainArguments) -> VeraSettings:
        """Read the VeRA flags of ``args``."""
        key = args.vera_projection_prng_key
        save = bool(args.vera_save_projection)
        if isinstance(key, bool):  # the reference's switch: store the projections (PRNG key 0)
            key, save = 0, save and key
        return cls(
            rank=args.vera_rank,
            projection_prng_key=int(key),
            save_projection=save,
            dropout=args.vera_dropout,
            d_initial=args.vera_d_initial,
        )


@dataclass(frozen=True)
class FourierSettings:
    """``--fourier_n_frequency`` and ``--fourier_scaling``."""

    n_frequency: int = 2000
    scaling: float = 300.0

    @classmethod
    def from_args(cls, args: TrainArguments) -> FourierSettings:
        """Read the FourierFT flags of ``args``."""
        return cls(n_frequency=args.fourier_n_frequency, scaling=args.fourier_scaling)


@dataclass(frozen=True)
class LlamaProSettings:
    """``--llamapro_num_new_blocks`` and ``--llamapro_num_groups`` (unset: one group per new block)."""

    num_new_blocks: int = 4
    num_groups: int = 4

    @classmethod
    def from_args(cls, args: TrainArguments) -> LlamaProSettings:
        """Read the LLaMA-Pro flags of ``args``."""
        blocks = int(args.llamapro_num_new_blocks)
        groups = int(args.llamapro_num_groups or blocks)
        if blocks < 1 or groups < 1:
            raise UsageError("--llamapro_num_new_blocks and --llamapro_num_groups must be at least 1")
        return cls(num_new_blocks=blocks, num_groups=groups)


def _intervention_types() -> tuple[str, ...]:
    # the reference's list lives once, in the core's --reft_intervention_type choices
    from typing import get_args, get_type_hints

    from swift.arguments.tuners import ReftArguments

    return get_args(get_type_hints(ReftArguments)["reft_intervention_type"])


INTERVENTION_TYPES = _intervention_types()
REFT_ARG_KEYS = ("dropout", "act_fn", "add_bias")


@dataclass(frozen=True)
class ReftSettings:
    """The ReFT flags: ``--reft_intervention_type``, ``--reft_rank``, ``--reft_layers``, ``--reft_layer_key``.

    Attributes:
        args: ``--reft_args``: ``dropout``, ``act_fn``, ``add_bias``.
    """

    intervention_type: str = "LoreftIntervention"
    rank: int = 4
    layers: tuple[int, ...] | None = None
    layer_key: str | None = None
    args: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args: TrainArguments) -> ReftSettings:
        """Read and check the ReFT flags of ``args``.

        Light (no torch), so ``swift_check_args`` runs it before any model loads.

        Raises:
            UsageError: A rank below 1, or a ``--reft_args`` key or value this does not take.
        """
        extra = dict(args.reft_args or {})
        unknown = sorted(set(extra) - set(REFT_ARG_KEYS))
        if unknown:
            raise UsageError(
                f"--reft_args: unknown option(s) {', '.join(unknown)}; ReFT takes {', '.join(REFT_ARG_KEYS)}"
            )
        if not 0 <= float(extra.get("dropout", 0.0)) < 1:
            raise UsageError(f"--reft_args: dropout must be in [0, 1), got {extra['dropout']}")
        if int(args.reft_rank) < 1:
            raise UsageError(f"--reft_rank must be at least 1, got {args.reft_rank}")
        if args.reft_intervention_type not in INTERVENTION_TYPES:
            raise UsageError(
                f"--reft_intervention_type {args.reft_intervention_type!r}: choose {', '.join(INTERVENTION_TYPES)}"
            )
        layers = tuple(int(i) for i in args.reft_layers) if args.reft_layers else None
        return cls(args.reft_intervention_type, int(args.reft_rank), layers, args.reft_layer_key, extra)
