"""The defaults documented in the argument reference (seeds/001) hold."""

import os
from dataclasses import fields

import pytest

from swift.arguments import (
    AppArguments,
    DeployArguments,
    EvalArguments,
    ExportArguments,
    InferArguments,
    PretrainArguments,
    RLHFArguments,
    RolloutArguments,
    SamplingArguments,
    SftArguments,
    TrainArguments,
    WebUIArguments,
)


def test_python_api_needs_only_model_train_type_and_dataset():
    args = TrainArguments(model="Qwen/Qwen2.5-7B-Instruct", train_type="lora", dataset=["a#5"])
    assert args.dataset == ["a#5"]
    assert args.output_dir is None  # named only when the run starts (prepare_output_dir)


def test_lora_defaults():
    args = TrainArguments(model="m")
    assert args.lora_rank == 8
    assert args.lora_alpha == 32
    assert args.lora_dropout == 0.05
    assert args.target_modules == ["all-linear"]
    assert args.modules_to_save == []
    assert args.init_lora_weights == "true"
    assert args.lora_bias == "none"
    assert args.lora_dtype is None
    assert args.use_dora is False and args.use_rslora is False
    assert args.lorap_lr_ratio is None


def test_learning_rate_depends_on_train_type():
    assert TrainArguments(model="m", train_type="lora").learning_rate == 1e-4
    assert TrainArguments(model="m", train_type="full").learning_rate == 1e-5
    assert TrainArguments(model="m", train_type="full", learning_rate=3e-6).learning_rate == 3e-6


def test_training_defaults_override_transformers():
    args = TrainArguments(model="m")
    assert args.gradient_checkpointing is True
    assert args.per_device_train_batch_size == 1
    assert args.per_device_eval_batch_size == 1
    assert args.logging_steps == 5
    assert args.weight_decay == 0.1
    assert args.lr_scheduler_type == "cosine"
    assert args.report_to == ["tensorboard"]
    assert args.remove_unused_columns is False
    assert args.logging_first_step is True
    assert args.add_version is True
    assert args.resume_only_model is False
    assert args.check_model is True
    assert args.packing is False
    assert args.acc_strategy == "token"
    assert args.max_new_tokens == 64
    assert args.temperature == 0.0
    assert args.train_type == "lora" and args.tuner_backend == "peft"
    assert args.seed == 42 and args.data_seed == 42


def test_base_data_template_and_quant_defaults():
    args = InferArguments(model="m")
    assert args.split_dataset_ratio == 0.01
    assert args.dataset_num_proc == 1
    assert args.load_from_cache_file is False
    assert args.download_mode == "reuse_dataset_if_exists"
    assert args.truncation_strategy == "left"
    assert args.loss_scale == "default"
    assert args.sequence_parallel_size == 1
    assert args.use_chat_template is True
    assert args.template_backend == "swift"
    assert args.attn_impl is None  # means sdpa
    assert args.bnb_4bit_quant_type == "nf4"
    assert args.bnb_4bit_use_double_quant is True
    assert args.stream is False and args.stop_words == []


def test_tuner_group_defaults():
    args = TrainArguments(model="m")
    assert (args.fourier_n_frequency, args.fourier_scaling) == (2000, 300.0)
    assert (args.boft_block_size, args.boft_dropout) == (4, 0.0)
    assert (args.vera_rank, args.vera_dropout, args.vera_d_initial) == (256, 0.0, 0.1)
    assert (args.galore_rank, args.galore_update_proj_gap, args.galore_scale) == (128, 50, 1.0)
    assert (args.galore_cos_threshold, args.galore_gamma_proj, args.galore_queue_size) == (
        0.4,
        2,
        5,
    )
    assert (args.lisa_activated_layers, args.lisa_step_interval) == (0, 20)
    assert (args.llamapro_num_new_blocks, args.llamapro_num_groups) == (4, None)
    assert (args.adalora_target_r, args.adalora_init_r, args.adalora_deltaT) == (8, 12, 1)
    assert (args.adalora_beta1, args.adalora_beta2, args.adalora_orth_reg_weight) == (
        0.85,
        0.85,
        0.5,
    )
    assert (args.reft_rank, args.reft_intervention_type) == (4, "LoreftIntervention")
    assert (args.fsdp_num, args.acc_steps, args.metric_warmup_step) == (1, 1, 0)
    assert args.use_liger is False and args.neftune_noise_alpha is None


def test_pretraining_trains_on_plain_text():
    args = PretrainArguments(model="m")
    assert args.use_chat_template is False
    assert args.loss_scale == "all"


def test_sft_arguments_is_train_arguments():
    assert SftArguments is TrainArguments


@pytest.mark.parametrize(
    ("rlhf_type", "beta", "loss_type"),
    [("simpo", 2.0, "simpo"), ("dpo", 0.1, "sigmoid"), ("kto", 0.1, "kto"), ("orpo", 0.1, None)],
)
def test_rlhf_beta_and_loss_type_depend_on_method(rlhf_type, beta, loss_type):
    args = RLHFArguments(model="m", rlhf_type=rlhf_type)
    assert args.beta == beta
    assert args.loss_type == loss_type


def test_rlhf_defaults():
    args = RLHFArguments(model="m")
    assert args.rlhf_type == "dpo"
    assert args.label_smoothing == 0
    assert args.rpo_alpha == 1.0
    assert args.cpo_alpha == 1.0 and args.simpo_gamma == 1.0
    assert args.desirable_weight == 1.0 and args.undesirable_weight == 1.0
    assert args.ref_model is None  # a LoRA policy is its own reference with the adapter off


def test_full_dpo_uses_the_model_as_reference():
    args = RLHFArguments(model="m", train_type="full", rlhf_type="dpo")
    assert args.ref_model == "m"
    assert RLHFArguments(model="m", train_type="full", rlhf_type="orpo").ref_model is None


def test_grpo_defaults():
    args = RLHFArguments(model="m", rlhf_type="grpo", reward_funcs=["accuracy"])
    assert args.num_generations == 8
    assert args.max_completion_length == 512
    assert args.temperature == 0.9
    assert (args.top_k, args.top_p, args.repetition_penalty) == (50, 0.9, 1.0)
    assert args.epsilon == 0.2 and args.epsilon_high is None
    assert args.num_iterations == 1
    assert args.use_vllm is False and args.vllm_mode == "colocate"
    assert args.vllm_server_port == 8000 and args.vllm_server_timeout == 240.0
    assert args.scale_rewards == "group"
    assert args.beta == 0.04
    assert (args.cosine_min_len_value_wrong, args.cosine_max_len_value_wrong) == (-0.5, 0.0)
    assert (args.cosine_min_len_value_correct, args.cosine_max_len_value_correct) == (1.0, 0.5)
    assert (args.repetition_n_grams, args.repetition_max_penalty) == (3, -1.0)


def test_grpo_accepts_boolean_scale_rewards():
    assert RLHFArguments(model="m", rlhf_type="grpo", scale_rewards="false").scale_rewards == "none"


def test_merge_infer_and_deploy_defaults():
    args = DeployArguments(model="m")
    assert args.merge_lora is False and args.safe_serialization is True
    assert args.max_shard_size == "5GiB"  # the reference's default
    assert args.infer_backend == "pt"
    assert args.writer_buffer_size == 65536
    assert InferArguments(model="m").max_batch_size == 1
    assert args.max_batch_size == 64  # a server batches its concurrent clients
    assert (args.host, args.port) == ("0.0.0.0", 8000)
    assert args.owned_by == "swift"
    assert args.verbose is True
    assert args.log_interval == 20
    assert args.max_logprobs == 20


def test_eval_overrides_deploy_defaults():
    args = EvalArguments(model="m")
    assert args.temperature == 0
    assert args.verbose is False
    assert args.max_batch_size == 256
    assert args.eval_output_dir == "eval_output"
    assert args.eval_url is None


def test_export_defaults_and_output_folder():
    args = ExportArguments(model="m")
    assert (args.quant_n_samples, args.quant_seqlen, args.quant_batch_size) == (256, 2048, 1)
    assert args.group_size == 128
    assert args.push_to_hub is False and args.hub_private_repo is False
    assert args.commit_message == "update files"
    assert args.output_dir is None
    merged = ExportArguments(model="m", adapters=["/tmp/ckpt"], merge_lora=True, load_args=False)
    assert merged.output_dir == "/tmp/ckpt-merged"


def test_app_webui_rollout_sampling_defaults():
    app = AppArguments(model="m")
    assert (app.lang, app.verbose, app.stream, app.server_port) == ("en", False, True, 7860)
    web = WebUIArguments()
    # ms-swift binds 0.0.0.0; ours is private by default (a public address needs --auth or --allow_public)
    assert (web.server_name, web.server_port, web.share, web.lang) == ("127.0.0.1", 7860, False, "zh")
    assert (web.auth, web.allow_public, app.server_name) == (None, False, "127.0.0.1")
    assert RolloutArguments(model="m").infer_backend == "vllm"
    sample = SamplingArguments(model="m")
    assert sample.num_return_sequences == 64 and sample.n_best_to_keep == 5
    assert sample.output_file.endswith(".jsonl")


def test_engine_settings_are_left_to_engine_plugins():
    names = {f.name for f in fields(DeployArguments)} | {f.name for f in fields(RLHFArguments)}
    for engine_flag in (
        "gpu_memory_utilization",
        "tensor_parallel_size",
        "pipeline_parallel_size",
        "max_num_seqs",
        "max_model_len",
        "enforce_eager",
        "vllm_max_lora_rank",
        "tp",
        "session_len",
        "cache_max_entry_count",
        "quant_policy",
    ):
        assert engine_flag not in names


def test_invalid_init_lora_weights_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="pissa_niter_<n>"):
        TrainArguments(model="m", init_lora_weights="random")
    assert TrainArguments(model="m", init_lora_weights="pissa_niter_4").init_lora_weights == ("pissa_niter_4")


def test_python_api_accepts_flag_aliases():
    args = TrainArguments(model="m", tuner_type="full", custom_register_path=["p.py"])
    assert args.train_type == "full" and args.external_plugins == [os.path.abspath("p.py")]
    assert args.learning_rate == 1e-5
    with pytest.raises(TypeError, match="alias"):
        TrainArguments(model="m", train_type="lora", tuner_type="full")


# Every flag of the argument reference (seeds/001) except the vLLM and LMDeploy
# engine settings, which their engine plugins contribute.
REFERENCE_FLAGS = """
model model_type model_revision torch_dtype attn_impl rope_scaling device_map local_repo_path
dataset val_dataset split_dataset_ratio data_seed dataset_num_proc streaming load_from_cache_file
download_mode strict model_name model_author custom_register_path custom_dataset_info
template system max_length truncation_strategy max_pixels tools_prompt loss_scale
sequence_parallel_size use_chat_template template_backend
max_new_tokens temperature top_k top_p repetition_penalty num_beams stream stop_words
quant_method quant_bits hqq_axis bnb_4bit_compute_dtype bnb_4bit_quant_type
bnb_4bit_use_double_quant bnb_4bit_quant_storage
target_modules target_regex modules_to_save lora_rank lora_alpha lora_dropout init_lora_weights
lora_bias_trainable lora_dtype use_dora use_rslora neftune_noise_alpha fourier_n_frequency
fourier_scaling boft_block_size boft_block_num boft_dropout vera_rank vera_projection_prng_key
vera_dropout vera_d_initial lorap_lr_ratio use_galore galore_target_modules galore_rank
galore_update_proj_gap galore_scale galore_proj_type galore_optim_per_parameter
galore_with_embedding galore_quantization galore_proj_quant galore_proj_bits
galore_proj_group_size galore_cos_threshold galore_gamma_proj galore_queue_size
lisa_activated_layers lisa_step_interval llamapro_num_new_blocks llamapro_num_groups
adalora_target_r adalora_init_r adalora_tinit adalora_tfinal adalora_deltaT adalora_beta1
adalora_beta2 adalora_orth_reg_weight reft_layers reft_rank reft_intervention_type reft_args
use_liger model_layer_cls_name metric_warmup_step fsdp_num acc_steps
output_dir gradient_checkpointing per_device_train_batch_size per_device_eval_batch_size
logging_steps learning_rate weight_decay lr_scheduler_type lr_scheduler_kwargs report_to
remove_unused_columns logging_first_step add_version resume_only_model check_model loss_type
num_labels packing lazy_tokenize acc_strategy optimizer metric
rlhf_type ref_model ref_model_type ref_model_revision beta label_smoothing rpo_alpha cpo_alpha
simpo_gamma desirable_weight undesirable_weight
""".split()


@pytest.mark.parametrize(
    ("cls", "flags"),
    [
        (RLHFArguments, REFERENCE_FLAGS),
        (
            DeployArguments,
            "merge_lora safe_serialization max_shard_size ckpt_dir infer_backend result_path "
            "writer_buffer_size max_batch_size val_dataset_sample host port api_key ssl_keyfile "
            "ssl_certfile owned_by served_model_name verbose log_interval max_logprobs".split(),
        ),
        (EvalArguments, "eval_dataset eval_limit eval_output_dir eval_url".split()),
        (
            ExportArguments,
            "ckpt_dir output_dir quant_n_samples quant_seqlen quant_batch_size group_size "
            "push_to_hub hub_model_id hub_private_repo commit_message merge_lora".split(),
        ),
    ],
)
def test_every_reference_flag_exists(cls, flags):
    accepted = set()
    for f in fields(cls):
        accepted.update((f.name, *f.metadata.get("aliases", ())))
    assert [flag for flag in flags if flag not in accepted] == []


@pytest.mark.parametrize(
    ("text", "size"), [("5GiB", 5 * 1024**3), ("5GB", 5 * 10**9), ("100KB", 100_000), ("1.5KiB", 1536), ("4096", 4096)]
)
def test_max_shard_size_reads_binary_and_decimal_units(text, size):
    from swift.arguments.infer import size_bytes

    assert size_bytes(ExportArguments(model="m", max_shard_size=text).max_shard_size) == size


def test_a_malformed_max_shard_size_is_refused_when_parsed():
    from swift.arguments import ArgumentError

    with pytest.raises(ArgumentError, match="--max_shard_size '5 gigs'"):
        ExportArguments(model="m", max_shard_size="5 gigs")
