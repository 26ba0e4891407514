"""GRPO, PPO and reward-model argument groups (part of ``swift rlhf``).

Only the settings the trainer and its generation client need live here; the
vLLM engine's own settings (gpu_memory_utilization …) come from the vLLM plugin.
"""

from typing import Literal

from swift.arguments._fields import arg, argclass


@argclass
class RewardModelArguments:
    """Reward models: used by PPO and GRPO."""

    reward_model: list[str] = arg([], "Reward model ids or paths; in GRPO they score after the reward functions.")
    reward_adapters: list[str] = arg([], "Adapters of the reward model.")
    reward_model_type: list[str] = arg([], "model_type of each reward model.")
    reward_model_revision: list[str] = arg([], "Revision of each reward model.")
    reward_model_plugin: list[str] = arg([], "Plugin turning a reward model's output into a score, per model.")
    center_rewards_coefficient: float | None = arg(None, "RM training: weight pulling rewards toward zero mean.")


@argclass
class PPOArguments:
    """PPO."""

    num_ppo_epochs: int = arg(4, "PPO epochs per batch of rollouts.")
    whiten_rewards: bool = arg(False, "Whiten the rewards.")
    kl_coef: float = arg(0.05, "KL penalty coefficient.")
    cliprange: float = arg(0.2, "Policy clip range.")
    vf_coef: float = arg(0.1, "Value-function loss coefficient.")
    cliprange_value: float = arg(0.2, "Value clip range.")
    gamma: float = arg(1.0, "Discount factor.")
    lam: float = arg(0.95, "GAE lambda.")
    num_mini_batches: int = arg(1, "Mini-batches per PPO epoch.")
    local_rollout_forward_batch_size: int = arg(64, "Batch size of rollout forward passes.")
    num_sample_generations: int = arg(10, "Times samples are generated for debugging during training.")
    response_length: int = arg(512, "Maximum response length in PPO rollouts.")
    missing_eos_penalty: float | None = arg(None, "Penalty for responses that do not end with EOS.")


@argclass
class GRPOArguments:
    """GRPO: group sampling, rewards, clipping and the generation backend."""

    num_generations: int = arg(8, "Completions sampled per prompt (G); the global batch must divide by it.")
    max_completion_length: int = arg(512, "Maximum length of a sampled completion.")
    ds3_gather_for_generation: bool = arg(True, "Gather ZeRO-3 weights for generation (faster, more memory).")
    reward_funcs: list[str] = arg([], "Reward functions (reward plugins), e.g. accuracy format cosine repetition.")
    reward_weights: list[float] | None = arg(None, "Weight of each reward function (and reward model); unset = all 1.")
    log_completions: bool = arg(False, "Log sampled completions (with --report_to wandb/swanlab).")
    num_iterations: int = arg(1, "Optimisation iterations per generated batch.")
    epsilon: float = arg(0.2, "Lower clipping range of the ratio.")
    epsilon_high: float | None = arg(None, "Upper clipping range; unset uses --epsilon.")
    delta: float | None = arg(None, "Upper clamp of the ratio for two-sided GRPO; unset disables.")
    scale_rewards: str = arg("group", "Reward normalisation: group, batch or none (true=group, false=none).")
    importance_sampling_level: Literal["token", "sequence", "sequence_token"] = arg(
        "token", "Level of the importance ratio (sequence = GSPO)."
    )
    # generation backend
    use_vllm: bool = arg(False, "Generate with vLLM (needs the vLLM plugin).")
    vllm_mode: Literal["colocate", "server"] = arg("colocate", "vLLM inside the trainer or an external rollout server.")
    vllm_server_base_url: str | None = arg(None, "Base URL of the rollout server (instead of host and port).")
    vllm_server_host: str | None = arg(None, "Host of the rollout server (`swift rollout`).")
    vllm_server_port: int = arg(8000, "Port of the rollout server.")
    vllm_server_timeout: float = arg(240.0, "Seconds to wait for the rollout server.")
    vllm_server_api_key: str | None = arg(
        None, "Key of a `swift rollout --api_key` server; unset = $SWIFT_API_KEY (kept out of `ps`)."
    )
    async_generate: bool = arg(False, "Generate the next batch while training on the current one.")
    sleep_level: int = arg(0, "Let colocated vLLM release memory while training (0 off, 1, 2).")
    move_model_batches: int | None = arg(None, "Move weights to vLLM in this many batches.")
    offload_optimizer: bool = arg(False, "Offload optimizer state while generating.")
    offload_model: bool = arg(False, "Offload the model while generating.")
    gc_collect_after_offload: bool = arg(False, "Run garbage collection after offloading.")
    generation_batch_size: int | None = arg(None, "Completions generated per generation step.")
    steps_per_generation: int | None = arg(None, "Optimizer steps per generation step.")
    # multi-turn
    multi_turn_scheduler: str | None = arg(None, "Multi-turn scheduler name (scheduler plugins); unset = one turn.")
    max_turns: int | None = arg(None, "Maximum turns of a multi-turn rollout.")
    completion_length_limit_scope: Literal["total", "per_round"] = arg(
        "per_round", "Whether --max_completion_length bounds each turn or the whole rollout."
    )
    # DAPO
    dynamic_sample: bool = arg(False, "Resample groups whose rewards have zero variance.")
    max_resample_times: int = arg(3, "Maximum resampling rounds with --dynamic_sample.")
    overlong_filter: bool = arg(False, "Leave truncated completions out of the loss.")
    soft_max_length: int | None = arg(None, "Soft overlong punishment: length L_max; unset = max_completion_length.")
    soft_cache_length: int | None = arg(None, "Soft overlong punishment: penalty ramp length L_cache.")
    # cosine and repetition rewards
    cosine_min_len_value_wrong: float = arg(-0.5, "Cosine reward of a wrong answer of length 0.")
    cosine_max_len_value_wrong: float = arg(0.0, "Cosine reward of a wrong answer of maximum length.")
    cosine_min_len_value_correct: float = arg(1.0, "Cosine reward of a correct answer of length 0.")
    cosine_max_len_value_correct: float = arg(0.5, "Cosine reward of a correct answer of maximum length.")
    cosine_max_len: int | None = arg(None, "Length L_max of the cosine reward; unset = max_completion_length.")
    repetition_n_grams: int = arg(3, "n of the n-grams the repetition penalty counts.")
    repetition_max_penalty: float = arg(-1.0, "Largest (most negative) repetition penalty.")
    # reference model sync (TR-DPO style)
    sync_ref_model: bool = arg(False, "Periodically mix the policy into the reference model.")
    ref_model_sync_steps: int = arg(512, "Steps between reference model syncs.")
    ref_model_mixup_alpha: float = arg(0.6, "Mix ratio of a reference model sync.")
    wandb_log_unique_prompts: bool | None = arg(None, "Log each prompt once in the completion tables.")
    dataset_shuffle: bool = arg(True, "Shuffle the prompt dataset.")

    def normalize_scale_rewards(self) -> None:
        """Accept the older boolean spelling of ``scale_rewards``."""
        value = self.scale_rewards
        mapping = {"true": "group", "1": "group", "false": "none", "0": "none"}
        self.scale_rewards = mapping.get(str(value).lower(), str(value).lower())
