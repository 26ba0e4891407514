"""``RLHFArguments`` for ``swift rlhf``: preference and reinforcement learning."""

from swift.arguments._fields import arg, argclass
from swift.arguments.errors import ArgumentError
from swift.arguments.grpo import GRPOArguments, PPOArguments, RewardModelArguments
from swift.arguments.train import TrainArguments

# loss_type a method uses when none is given (trainer plugins read it)
DEFAULT_LOSS_TYPES = {"dpo": "sigmoid", "cpo": "sigmoid", "simpo": "simpo", "kto": "kto"}
# methods that need no reference model
REFERENCE_FREE = frozenset({"cpo", "orpo", "simpo", "rm"})


@argclass
class RLHFArguments(GRPOArguments, PPOArguments, RewardModelArguments, TrainArguments):
    """Arguments of ``swift rlhf``."""

    # Any trainer a plugin registers for `swift rlhf` is valid; the registry checks the name.
    rlhf_type: str = arg("dpo", "Alignment method: dpo, orpo, simpo, kto, cpo, grpo … (trainer plugins may add more).")
    ref_model: str | None = arg(None, "Reference model id or path (DPO and others); unset = the model itself.")
    ref_model_type: str | None = arg(None, "model_type of the reference model.")
    ref_model_revision: str | None = arg(None, "Revision of the reference model.")
    beta: float | None = arg(None, "KL regularisation coefficient; unset = 2.0 for simpo, 0.04 for grpo, else 0.1.")
    label_smoothing: float = arg(0.0, "DPO label smoothing (0 to 0.5).")
    rpo_alpha: float | None = arg(
        1.0, "Weight of the SFT loss added to DPO (loss = KL + rpo_alpha * sft); none disables."
    )
    cpo_alpha: float = arg(1.0, "Weight of the NLL loss in CPO/SimPO.")
    simpo_gamma: float = arg(1.0, "SimPO reward margin (0.5 to 1.5 suggested).")
    desirable_weight: float = arg(1.0, "KTO loss weight of desirable responses.")
    undesirable_weight: float = arg(1.0, "KTO loss weight of undesirable responses.")
    # GRPO/PPO sample; these replace the training (predict_with_generate) defaults
    temperature: float | None = arg(0.9, "Sampling temperature of GRPO/PPO rollouts.")
    top_k: int | None = arg(50, "Top-k of GRPO/PPO rollouts.")
    top_p: float | None = arg(0.9, "Top-p of GRPO/PPO rollouts.")
    repetition_penalty: float | None = arg(1.0, "Repetition penalty of GRPO/PPO rollouts.")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.normalize_scale_rewards()
        if self.beta is None:
            self.beta = {"simpo": 2.0, "grpo": 0.04}.get(self.rlhf_type, 0.1)
        if self.loss_type is None:
            self.loss_type = DEFAULT_LOSS_TYPES.get(self.rlhf_type)
        from swift.services.adapters import trains_full_weights

        if self.rlhf_type not in REFERENCE_FREE and trains_full_weights(self.train_type) and self.ref_model is None:
            # a fully trained policy changes its own weights: the reference must be a separate copy
            self.ref_model = self.model
            self.ref_model_type = self.ref_model_type or self.model_type
            self.ref_model_revision = self.ref_model_revision or self.model_revision
        for flag in ("ref_model_type", "ref_model_revision"):
            if getattr(self, flag) and not self.ref_model:
                raise ArgumentError(f"--{flag} describes --ref_model, which is not given")
        if self.rlhf_type == "grpo" and self.reward_weights is not None:
            expected = len(self.reward_funcs) + len(self.reward_model)
            if len(self.reward_weights) != expected:
                raise ArgumentError(
                    f"--reward_weights has {len(self.reward_weights)} values but there are "
                    f"{expected} "
                    "reward functions and models; give one weight each."
                )
