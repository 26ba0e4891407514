"""Tuner argument groups: LoRA and the other parameter-efficient methods.

The values are only read by tuner plugins; the core checks what it can check
without knowing the tuner (e.g. the spelling of ``init_lora_weights``).
"""

import re
from typing import Literal

from swift.arguments._fields import arg, argclass
from swift.arguments.errors import ArgumentError

_INIT_LORA_WEIGHTS = (
    "true",
    "false",
    "gaussian",
    "pissa",
    "olora",
    "loftq",
    "lora-ga",
    "corda",
    "eva",
)
_PISSA_NITER = re.compile(r"pissa_niter_\d+")


def normalize_init_lora_weights(value: object) -> str:
    """``--init_lora_weights`` spelled as the reference documents it, lower case.

    ``guassian`` (the reference's spelling) is ``gaussian``; booleans become
    ``true``/``false``. Whether a tuner plugin can honour the value is its own check.

    Raises:
        ArgumentError: A value the reference does not document.
    """
    text = str(value).strip().lower()
    if text == "guassian":  # the documented misspelling
        text = "gaussian"
    if text not in _INIT_LORA_WEIGHTS and not _PISSA_NITER.fullmatch(text):
        raise ArgumentError(
            f"--init_lora_weights {value!r} is not valid; "
            f"choose from {', '.join(_INIT_LORA_WEIGHTS)} or pissa_niter_<n>."
        )
    return text


@argclass
class FreezeArguments:
    """Which parts of a vision-language model train (ms-swift's names); text models have one part."""

    freeze_llm: bool = arg(False, "Vision-language models: keep the language model frozen.")
    freeze_vit: bool = arg(True, "Vision-language models: keep the vision tower frozen.")
    freeze_aligner: bool = arg(True, "Vision-language models: keep the aligner (projector, merger) frozen.")


@argclass
class LoraArguments:
    """LoRA (target_modules, target_regex and modules_to_save apply to every tuner)."""

    target_modules: list[str] = arg(
        ["all-linear"],
        "Modules to attach the tuner to; all-linear = every linear layer but lm_head.",
    )
    target_regex: str | None = arg(None, "Regex selecting the modules to tune; overrides --target_modules.")
    modules_to_save: list[str] = arg([], "Original modules that are also trained and saved next to the tuner.")
    lora_rank: int = arg(8, "LoRA rank r.")
    lora_alpha: int = arg(32, "LoRA alpha (scaling numerator).")
    lora_dropout: float = arg(0.05, "LoRA dropout.")
    lora_bias: Literal["none", "all"] = arg(
        "none", "Which biases are trained: none or all.", aliases=("lora_bias_trainable",)
    )
    lora_dtype: Literal["float16", "bfloat16", "float32"] | None = arg(
        None, "dtype of the LoRA weights; unset follows the model."
    )
    init_lora_weights: str = arg("true", "LoRA init: true, false, gaussian, pissa, pissa_niter_<n>, olora, loftq …")
    use_dora: bool = arg(False, "Use DoRA.")
    use_rslora: bool = arg(False, "Use rank-stabilised LoRA.")
    lorap_lr_ratio: float | None = arg(None, "LoRA+ learning-rate ratio of B to A (10-16 suggested); unset disables.")


@argclass
class NEFTuneArguments:
    """NEFTune: noisy embeddings for instruction tuning."""

    neftune_noise_alpha: float | None = arg(None, "NEFTune noise alpha (5, 10 or 15 are typical); unset disables.")


@argclass
class FourierFtArguments:
    """FourierFT."""

    fourier_n_frequency: int = arg(2000, "Number of learnable frequencies (like LoRA's r).")
    fourier_scaling: float = arg(300.0, "Scaling of the W matrix (like lora_alpha).")


@argclass
class BoftArguments:
    """BOFT: butterfly orthogonal fine-tuning."""

    boft_block_size: int = arg(4, "BOFT block size; exclusive with --boft_block_num.")
    boft_block_num: int = arg(0, "Number of BOFT blocks; exclusive with --boft_block_size.")
    boft_n_butterfly_factor: int = arg(1, "Number of butterfly factors.")
    boft_dropout: float = arg(0.0, "BOFT dropout.")


@argclass
class VeraArguments:
    """VeRA."""

    vera_rank: int = arg(256, "VeRA rank.")
    # The reference documents it as a switch ("store the VeRA projection matrices", default True);
    # ms-swift and peft use it as the PRNG key of the projections. Both spellings are taken.
    vera_projection_prng_key: int | bool = arg(
        True, "true/false: store the VeRA projection matrices in the checkpoint; an integer: their PRNG key."
    )
    vera_save_projection: bool = arg(True, "Store the VeRA projection matrices in the checkpoint.")
    vera_dropout: float = arg(0.0, "VeRA dropout.")
    vera_d_initial: float = arg(0.1, "Initial value of VeRA's d vector.")


@argclass
class AdapterArguments:
    """Adapter (bottleneck adapters)."""

    adapter_act: str = arg("gelu", "Activation inside the adapter.")
    adapter_length: int = arg(128, "Hidden size of the adapter.")


@argclass
class GaLoreArguments:
    """GaLore: gradient low-rank projection."""

    use_galore: bool = arg(False, "Use GaLore.")
    galore_target_modules: list[str] | None = arg(None, "Modules GaLore applies to; unset means attention and mlp.")
    galore_rank: int = arg(128, "GaLore rank.")
    galore_update_proj_gap: int = arg(50, "Steps between projection updates.")
    galore_scale: float = arg(1.0, "Scale of the projected update.")
    galore_proj_type: str = arg("std", "Projection type.")
    galore_optim_per_parameter: bool = arg(False, "One optimizer per GaLore parameter.")
    galore_with_embedding: bool = arg(False, "Apply GaLore to the embedding too.")
    galore_quantization: bool = arg(False, "Use Q-GaLore.")
    galore_proj_quant: bool = arg(False, "Quantize the SVD projection matrices.")
    galore_proj_bits: int = arg(4, "Bits of the quantized projection.")
    galore_proj_group_size: int = arg(256, "Group size of the quantized projection.")
    galore_cos_threshold: float = arg(0.4, "Cosine similarity above which the projection update is delayed.")
    galore_gamma_proj: int = arg(2, "Factor stretching the update gap as projections converge.")
    galore_queue_size: int = arg(5, "Length of the queue used for projection similarity.")


@argclass
class LisaArguments:
    """LISA: layerwise importance sampling (full training only)."""

    lisa_activated_layers: int = arg(0, "Layers trained at a time; 0 disables LISA (2 or 8 suggested).")
    lisa_step_interval: int = arg(20, "Steps between switching the trained layers.")


@argclass
class LlamaProArguments:
    """LLaMA-Pro: block expansion."""

    llamapro_num_new_blocks: int = arg(4, "Number of new layers inserted.")
    llamapro_num_groups: int | None = arg(None, "Groups the new blocks are inserted in; unset = one per block.")


@argclass
class AdaLoraArguments:
    """AdaLoRA (other settings come from the LoRA group; lora_dtype is ignored)."""

    adalora_target_r: int = arg(8, "Average target rank.")
    adalora_init_r: int = arg(12, "Initial rank.")
    adalora_tinit: int = arg(0, "Initial warmup steps.")
    adalora_tfinal: int = arg(0, "Final warmup steps.")
    adalora_deltaT: int = arg(1, "Steps between rank allocations.")  # noqa: N815 - ms-swift's flag name
    adalora_beta1: float = arg(0.85, "EMA coefficient for sensitivity.")
    adalora_beta2: float = arg(0.85, "EMA coefficient for uncertainty.")
    adalora_orth_reg_weight: float = arg(0.5, "Orthogonal regularisation weight.")


@argclass
class ReftArguments:
    """ReFT: representation fine-tuning (cannot be merged; no gradient checkpointing)."""

    reft_layer_key: str | None = arg(None, "Layer key the intervention attaches to.")
    reft_layers: list[int] | None = arg(None, "Layer indices to intervene on; unset means all layers.")
    reft_rank: int = arg(4, "Rank of the ReFT matrices.")
    reft_intervention_type: Literal[
        "NoreftIntervention",
        "LoreftIntervention",
        "ConsreftIntervention",
        "LobireftIntervention",
        "DireftIntervention",
        "NodireftIntervention",
    ] = arg("LoreftIntervention", "ReFT intervention type.")
    reft_args: dict | None = arg(None, "Extra intervention options as JSON.")


@argclass
class LigerArguments:
    """Liger kernels."""

    use_liger: bool = arg(False, "Train with liger-kernel.")


@argclass
class TorchAccArguments:
    """TorchAcc."""

    model_layer_cls_name: str | None = arg(None, "Class name of the decoder layer.")
    metric_warmup_step: float = arg(0, "TorchAcc warmup steps.")
    fsdp_num: int = arg(1, "FSDP degree.")
    acc_steps: int = arg(1, "Accumulation steps.")


@argclass
class TunerArguments(
    TorchAccArguments,
    LigerArguments,
    ReftArguments,
    AdaLoraArguments,
    LlamaProArguments,
    LisaArguments,
    GaLoreArguments,
    AdapterArguments,
    VeraArguments,
    BoftArguments,
    FourierFtArguments,
    NEFTuneArguments,
    LoraArguments,
    FreezeArguments,
):
    """All tuner groups together."""

    def check_tuner_arguments(self) -> None:
        """Validate what the core can validate without the tuner plugin."""
        self.init_lora_weights = normalize_init_lora_weights(self.init_lora_weights)
        if self.boft_block_num:
            # block_size has a non-zero default, so asking for block_num means "use it instead"
            if self.boft_block_size not in (0, 4):
                raise ArgumentError("--boft_block_size and --boft_block_num cannot be used together; set only one.")
            self.boft_block_size = 0
