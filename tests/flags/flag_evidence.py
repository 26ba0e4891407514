"""The evidence of each flag of the argument reference: how ``test_every_flag_takes_effect`` checks it.

One entry per flag of ``docs/reference/arguments.zh.md``; the kinds are described in the test
module's docstring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference" / "arguments.zh.md"


def reference_flags() -> list[str]:
    """Every ``- flag:`` entry of the reference, in order, once each."""
    names = re.findall(r"^- ([A-Za-z_][A-Za-z_0-9]*)", REFERENCE.read_text(encoding="utf-8"), re.M)
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Trains:
    value: Any
    attribute: str | None = None  # the TrainingArguments field; default: the flag's name


@dataclass(frozen=True)
class Encodes:
    value: Any
    extra: dict = field(default_factory=dict)  # other flags the effect needs
    tools: bool = False  # encode a conversation with tools


@dataclass(frozen=True)
class Generates:
    value: Any
    attribute: str


@dataclass(frozen=True)
class Adapts:
    value: Any
    train_type: str = "lora"
    extra: dict = field(default_factory=dict)  # other flags the effect needs
    alongside: dict = field(default_factory=dict)  # flags set together with this one only


@dataclass(frozen=True)
class Quantizes:
    value: Any
    attribute: str


@dataclass(frozen=True)
class Refused:
    argv: tuple[str, ...]
    message: str
    command: str = "sft"


@dataclass(frozen=True)
class Shown:
    test: str  # path::function, relative to the repository root


@dataclass(frozen=True)
class Maps:
    target: str  # module:function taking the arguments; its result's ``key`` must change
    value: Any
    key: str
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Owed:
    """No evidence yet. ``OWED`` lists these flags and may only shrink."""

    why: str


SFT = "plugins/swift-transformers/tests/train"
PEFT = "plugins/swift-peft/tests"
LOADING = "plugins/swift-transformers/tests/models/test_loading.py"
VLLM = "contrib/swift-vllm/tests/test_engine_args.py::test_every_vllm_flag_of_the_reference_reaches_the_engine"
QGALORE = "Q-GaLore is not supported"
PUSH = "tests/export/test_push.py"
TORCHACC = "TorchAcc"

EVIDENCE: dict[str, Any] = {
    # ---- model
    "model": Shown("tests/e2e/test_train_cli.py::test_swift_sft_writes_a_checkpoint_that_swift_infer_restores"),
    "model_type": Shown("tests/cli/test_models_command.py::test_model_type_list_on_a_command_prints_the_same_table"),
    "model_revision": Shown(
        "tests/flags/test_every_flag_takes_effect.py::test_model_revision_picks_that_snapshot_of_the_hub_cache"
    ),
    "torch_dtype": Shown(f"{LOADING}::test_torch_dtype_bfloat16_loads_bfloat16_weights"),
    "attn_impl": Shown(f"{LOADING}::test_attn_impl_reaches_the_model_config"),
    "rope_scaling": Shown(f"{LOADING}::test_rope_scaling_linear_scales_by_max_length_over_positions"),
    "device_map": Shown(f"{LOADING}::test_device_map_json_offloads_modules_and_the_model_still_runs"),
    "local_repo_path": Shown(f"{LOADING}::test_local_repo_path_goes_first_on_sys_path"),
    # ---- data
    "dataset": Shown("tests/e2e/test_train_cli.py::test_swift_pt_trains_on_plain_text"),
    "val_dataset": Shown("tests/infer/test_infer_dataset.py::test_val_dataset_results_are_written_one_line_per_row"),
    "split_dataset_ratio": Shown(
        "tests/e2e/test_train_cli.py::test_swift_sft_writes_a_checkpoint_that_swift_infer_restores"
    ),
    "data_seed": Trains(7),
    "dataset_num_proc": Shown(
        "plugins/swift-transformers/tests/data/test_encoding.py::test_several_processes_encode_the_same_rows"
    ),
    "streaming": Shown(f"{SFT}/test_features.py::test_streaming_trains_for_max_steps"),
    "load_from_cache_file": Shown(
        "plugins/swift-transformers/tests/data/test_hub_datasets.py::test_load_from_cache_file_reuses_the_preprocessed_rows"
    ),
    "download_mode": Shown(
        "plugins/swift-transformers/tests/data/test_hub_datasets.py::test_force_redownload_prepares_the_dataset_again"
    ),
    "strict": Shown(f"{SFT}/test_classification.py::test_bad_labels_are_counted_and_dropped_or_raised_with_strict"),
    "model_name": Shown(
        "plugins/swift-transformers/tests/data/test_self_cognition.py::test_a_single_name_serves_both_languages"
    ),
    "model_author": Shown(
        "plugins/swift-transformers/tests/data/test_self_cognition.py::test_a_single_name_serves_both_languages"
    ),
    "custom_register_path": Shown(
        "tests/arguments/test_parser.py::test_custom_register_path_is_an_alias_of_external_plugins"
    ),
    "custom_dataset_info": Shown(
        "plugins/swift-transformers/tests/data/test_loading.py::test_custom_dataset_info_registers_a_name_with_its_column_mapping"
    ),
    # ---- template
    "template": Encodes("llama3"),
    "system": Encodes("Answer in one word."),
    "max_length": Encodes(8),
    "truncation_strategy": Encodes("right", extra={"max_length": 8}),
    "max_pixels": Shown(
        "plugins/swift-transformers/tests/vision/test_parity.py::"
        "test_max_pixels_changes_the_image_tokens_as_the_processor_predicts"
    ),
    "tools_prompt": Encodes("react_en", tools=True),
    "loss_scale": Encodes("all"),
    "sequence_parallel_size": Shown(
        "tests/e2e/test_train_cli.py::test_sequence_parallel_over_two_processes_trains_like_one"
    ),
    "use_chat_template": Encodes(False),
    "template_backend": Shown(
        "tests/template/test_jinja_backend.py::test_jinja_backend_generation_prompt_is_the_tokenizers_own"
    ),
    # ---- generation
    "max_new_tokens": Generates(7, "max_tokens"),
    "temperature": Generates(0.3, "temperature"),
    "top_k": Generates(5, "top_k"),
    "top_p": Generates(0.5, "top_p"),
    "repetition_penalty": Generates(1.3, "repetition_penalty"),
    "num_beams": Generates(2, "num_beams"),
    "stream": Generates(True, "stream"),
    "stop_words": Generates(["END"], "stop"),
    # ---- quantization
    "quant_method": Shown(
        f"{SFT}/test_features.py::test_qlora_bnb_4bit_nf4_double_quant_trains_on_cpu_and_the_adapter_loads_in_plain_peft"
    ),
    "quant_bits": Quantizes(8, "load_in_8bit"),
    "hqq_axis": Refused(("--hqq_axis", "0"), "--hqq_axis only applies to --quant_method hqq"),
    "bnb_4bit_compute_dtype": Quantizes("bfloat16", "bnb_4bit_compute_dtype"),
    "bnb_4bit_quant_type": Quantizes("fp4", "bnb_4bit_quant_type"),
    "bnb_4bit_use_double_quant": Quantizes(False, "bnb_4bit_use_double_quant"),
    "bnb_4bit_quant_storage": Quantizes("float16", "bnb_4bit_quant_storage"),
    # ---- LoRA and the other tuners
    "target_modules": Adapts(["q_proj"]),
    "target_regex": Adapts(r".*\.v_proj"),
    "modules_to_save": Adapts(["lm_head"]),
    "lora_rank": Adapts(4),
    "lora_alpha": Adapts(8),
    "lora_dropout": Adapts(0.3),
    "init_lora_weights": Adapts("gaussian"),
    "lora_bias_trainable": Adapts("all"),
    "lora_dtype": Shown(f"{PEFT}/test_lora.py::test_lora_dtype_casts_only_the_adapter_and_is_saved_in_that_dtype"),
    "use_dora": Adapts(True),
    "use_rslora": Adapts(True),
    "neftune_noise_alpha": Trains(5.0),
    "fourier_n_frequency": Adapts(64, train_type="fourierft"),
    "fourier_scaling": Adapts(10.0, train_type="fourierft"),
    "boft_block_size": Adapts(2, train_type="boft"),
    "boft_block_num": Adapts(8, train_type="boft", alongside={"boft_block_size": 0}),
    "boft_dropout": Adapts(0.2, train_type="boft"),
    "vera_rank": Adapts(16, train_type="vera"),
    "vera_projection_prng_key": Shown(
        f"{PEFT}/test_tuners.py::test_vera_projection_prng_key_takes_the_references_switch_and_a_prng_key"
    ),
    "vera_dropout": Adapts(0.2, train_type="vera"),
    "vera_d_initial": Adapts(0.5, train_type="vera"),
    "lorap_lr_ratio": Shown(f"{SFT}/test_features.py::test_lorap_lr_ratio_makes_lora_b_learn_faster"),
    "use_galore": Shown(
        f"{SFT}/test_features.py::test_use_galore_trains_with_the_galore_optimizer_and_changes_the_update"
    ),
    "galore_target_modules": Trains(["q_proj"], "optim_target_modules"),
    "galore_rank": Trains(16, "optim_args"),
    "galore_update_proj_gap": Trains(7, "optim_args"),
    "galore_scale": Trains(0.5, "optim_args"),
    "galore_proj_type": Trains("left", "optim_args"),
    "galore_optim_per_parameter": Trains(True, "optim"),
    "galore_with_embedding": Refused(("--galore_with_embedding", "true"), "--galore_with_embedding"),
    "galore_quantization": Refused(("--galore_quantization", "true"), QGALORE),
    "galore_proj_quant": Refused(("--galore_proj_quant", "true"), QGALORE),
    "galore_proj_bits": Refused(("--galore_proj_bits", "8"), QGALORE),
    "galore_proj_group_size": Refused(("--galore_proj_group_size", "128"), QGALORE),
    "galore_cos_threshold": Refused(("--galore_cos_threshold", "0.5"), QGALORE),
    "galore_gamma_proj": Refused(("--galore_gamma_proj", "3"), QGALORE),
    "galore_queue_size": Refused(("--galore_queue_size", "6"), QGALORE),
    "lisa_activated_layers": Shown(f"{SFT}/test_features.py::test_lisa_trains_only_the_drawn_layers"),
    "lisa_step_interval": Shown(f"{SFT}/test_features.py::test_lisa_trains_only_the_drawn_layers"),
    "llamapro_num_new_blocks": Shown(
        f"{SFT}/test_features.py::test_llamapro_run_writes_an_expanded_model_plain_transformers_loads"
    ),
    "llamapro_num_groups": Shown(f"{PEFT}/test_llamapro.py::test_blocks_are_inserted_per_group"),
    "adalora_target_r": Adapts(4, train_type="adalora"),
    "adalora_init_r": Adapts(6, train_type="adalora"),
    "adalora_tinit": Adapts(1, train_type="adalora"),
    "adalora_tfinal": Adapts(1, train_type="adalora"),
    "adalora_deltaT": Adapts(3, train_type="adalora"),
    "adalora_beta1": Adapts(0.5, train_type="adalora"),
    "adalora_beta2": Adapts(0.5, train_type="adalora"),
    "adalora_orth_reg_weight": Adapts(0.1, train_type="adalora"),
    "reft_layers": Shown(f"{PEFT}/test_reft.py::test_a_saved_checkpoint_reloads_with_the_same_logits"),
    "reft_rank": Shown(f"{PEFT}/test_reft.py::test_every_intervention_trains_only_itself_and_changes_the_logits"),
    "reft_intervention_type": Shown(
        f"{PEFT}/test_reft.py::test_every_intervention_trains_only_itself_and_changes_the_logits"
    ),
    "reft_args": Shown(f"{PEFT}/test_reft.py::test_every_intervention_trains_only_itself_and_changes_the_logits"),
    # this machine has neither liger-kernel nor a GPU
    "use_liger": Refused(("--use_liger", "true"), "--use_liger"),
    "model_layer_cls_name": Refused(("--model_layer_cls_name", "Qwen3DecoderLayer"), TORCHACC),
    "metric_warmup_step": Refused(("--metric_warmup_step", "2"), TORCHACC),
    "fsdp_num": Refused(("--fsdp_num", "2"), TORCHACC),
    "acc_steps": Refused(("--acc_steps", "2"), TORCHACC),
    # ---- training
    "output_dir": Shown("tests/arguments/test_output_dir.py::test_default_folder_is_output_model_name_with_version"),
    "gradient_checkpointing": Trains(False),
    "per_device_train_batch_size": Trains(3),
    "per_device_eval_batch_size": Trains(3),
    "logging_steps": Trains(2),
    "learning_rate": Trains(3e-4),
    "weight_decay": Trains(0.0),
    "lr_scheduler_type": Trains("linear"),
    "lr_scheduler_kwargs": Trains({"num_cycles": 2}),
    "report_to": Trains(["none"]),
    "remove_unused_columns": Trains(True),
    "logging_first_step": Trains(False),
    "add_version": Shown("tests/arguments/test_output_dir.py::test_without_version_an_existing_run_is_refused"),
    "resume_only_model": Shown(
        f"{SFT}/test_resume.py::test_resume_only_model_starts_a_new_run_from_the_trained_weights"
    ),
    "check_model": Shown(
        "tests/flags/test_every_flag_takes_effect.py::test_check_model_false_skips_the_weight_file_check"
    ),
    "loss_type": Shown("plugins/swift-trl/tests/test_grpo.py::test_dapo_trains_with_its_round_level_token_mean"),
    "num_labels": Shown(f"{SFT}/test_classification.py::test_a_tiny_model_learns_a_separable_two_class_set"),
    "packing": Shown(f"{SFT}/test_packing.py::test_the_model_sees_packed_samples_as_separate_sequences"),
    "lazy_tokenize": Shown(f"{SFT}/test_features.py::test_lazy_tokenize_encodes_rows_while_training"),
    "acc_strategy": Shown(f"{SFT}/test_sft.py::test_sentence_accuracy_is_logged_as_a_fraction_of_samples"),
    "optimizer": Shown(f"{SFT}/test_hf_args.py::test_a_transformers_optimizer_name_given_to_optimizer_becomes_optim"),
    "metric": Shown(f"{SFT}/test_metrics.py::test_the_metric_flag_selects_the_generation_scores"),
    # ---- alignment
    "rlhf_type": Shown("tests/rlhf/test_rlhf_cli.py::test_swift_rlhf_dpo_trains_and_prints_where_the_checkpoint_is"),
    "ref_model": Shown(
        "plugins/swift-trl/tests/test_preference.py::test_an_explicit_reference_model_is_loaded_for_an_adapter_run"
    ),
    "ref_model_type": Maps(
        "swift_trl.run:reference_arguments", "qwen2_5", "model_type", {"rlhf_type": "dpo", "ref_model": "org/ref"}
    ),
    "ref_model_revision": Maps(
        "swift_trl.run:reference_arguments", "v2", "model_revision", {"rlhf_type": "dpo", "ref_model": "org/ref"}
    ),
    "beta": Shown(
        "plugins/swift-trl/tests/test_preference.py::test_simpo_trains_with_beta_2_and_the_simpo_loss_by_default"
    ),
    "label_smoothing": Maps("swift_trl.preference.configs:dpo_fields", 0.2, "label_smoothing", {"rlhf_type": "dpo"}),
    "rpo_alpha": Shown(
        "plugins/swift-trl/tests/test_preference.py::test_dpo_defaults_add_the_sft_term_weighted_by_rpo_alpha"
    ),
    "cpo_alpha": Shown(
        "plugins/swift-trl/tests/test_preference.py::test_simpo_trains_with_beta_2_and_the_simpo_loss_by_default"
    ),
    "simpo_gamma": Shown(
        "plugins/swift-trl/tests/test_preference.py::test_simpo_trains_with_beta_2_and_the_simpo_loss_by_default"
    ),
    "desirable_weight": Shown(
        "plugins/swift-trl/tests/test_preference.py::test_kto_desirable_and_undesirable_weights_change_the_loss"
    ),
    "undesirable_weight": Shown(
        "plugins/swift-trl/tests/test_preference.py::test_kto_desirable_and_undesirable_weights_change_the_loss"
    ),
    # ---- LMDeploy (served by an LMDeploy server through the openai engine) and vLLM
    "tp": Refused(("--tp", "2"), "lmdeploy serve api_server", "infer"),
    "session_len": Refused(("--session_len", "4096"), "--session-len 4096", "infer"),
    "cache_max_entry_count": Refused(("--cache_max_entry_count", "0.5"), "--cache-max-entry-count 0.5", "infer"),
    "quant_policy": Refused(("--quant_policy", "8"), "--quant-policy 8", "infer"),
    "vision_batch_size": Refused(("--vision_batch_size", "4"), "--vision-max-batch-size 4", "infer"),
    "gpu_memory_utilization": Shown(VLLM),
    "tensor_parallel_size": Shown(VLLM),
    "pipeline_parallel_size": Shown(VLLM),
    "max_num_seqs": Shown(VLLM),
    "max_model_len": Shown(VLLM),
    "disable_custom_all_reduce": Shown(VLLM),
    "enforce_eager": Shown(VLLM),
    "limit_mm_per_prompt": Shown(VLLM),
    "vllm_max_lora_rank": Shown(VLLM),
    # ---- merge, infer, deploy
    "merge_lora": Shown(
        "tests/export/test_merge.py::test_merge_lora_cli_writes_checkpoint_merged_with_the_logits_of_base_plus_adapter"
    ),
    "safe_serialization": Shown("tests/infer/test_infer_dataset.py::test_safe_serialization_false_is_refused"),
    "max_shard_size": Shown(
        "tests/export/test_merge.py::test_export_merge_lora_cli_with_small_shards_writes_an_index_and_loadable_shards"
    ),
    "ckpt_dir": Shown("tests/arguments/test_checkpoint_restore.py::test_ckpt_dir_of_an_adapter_becomes_an_adapter"),
    "infer_backend": Shown("tests/infer/test_infer_dataset.py::test_transformers_is_an_alias_of_pt"),
    "result_path": Shown("tests/infer/test_infer_dataset.py::test_val_dataset_results_are_written_one_line_per_row"),
    "writer_buffer_size": Shown(
        "tests/infer/test_infer_dataset.py::test_writer_buffer_size_is_what_the_result_file_holds_before_writing"
    ),
    "max_batch_size": Shown(
        "plugins/swift-transformers/tests/engine/test_batching.py::test_a_list_is_generated_in_chunks_of_max_batch_size"
    ),
    "val_dataset_sample": Shown("tests/infer/test_infer_dataset.py::test_val_dataset_sample_limits_the_rows"),
    "host": Shown("plugins/swift-serve/tests/test_cli.py::test_a_taken_port_fails_before_loading_the_model"),
    "port": Shown("plugins/swift-serve/tests/test_cli.py::test_a_taken_port_fails_before_loading_the_model"),
    "api_key": Shown("plugins/swift-serve/tests/test_auth.py::test_every_route_but_health_wants_the_key"),
    "ssl_keyfile": Shown("plugins/swift-serve/tests/test_tls.py::test_https_with_the_certificate"),
    "ssl_certfile": Shown("plugins/swift-serve/tests/test_tls.py::test_https_with_the_certificate"),
    "owned_by": Shown("plugins/swift-serve/tests/test_models.py::test_model_list_has_the_model_and_each_adapter"),
    "served_model_name": Shown(
        "plugins/swift-serve/tests/test_models.py::test_served_model_name_and_unnamed_adapter_folders"
    ),
    "verbose": Shown("plugins/swift-serve/tests/test_cli.py::test_stats_are_logged_and_access_log_is_off"),
    "log_interval": Shown("plugins/swift-serve/tests/test_cli.py::test_stats_are_logged_and_access_log_is_off"),
    "max_logprobs": Shown("plugins/swift-serve/tests/test_chat.py::test_more_logprobs_than_max_logprobs_is_refused"),
    # ---- eval
    "eval_dataset": Shown(
        "plugins/swift-eval/tests/test_eval.py::test_multiple_choice_accuracy_equals_transformers_loglikelihoods"
    ),
    "eval_limit": Shown("plugins/swift-eval/tests/test_eval.py::test_eval_limit_and_a_second_run_in_its_own_folder"),
    "eval_output_dir": Shown(
        "plugins/swift-eval/tests/test_eval.py::test_eval_limit_and_a_second_run_in_its_own_folder"
    ),
    "eval_url": Shown(
        "plugins/swift-eval/tests/test_eval.py::test_eval_url_against_a_running_server_gives_the_same_numbers"
    ),
    # ---- export
    "quant_n_samples": Shown(
        "tests/export/test_quantize.py::test_calibration_texts_are_dataset_rows_rendered_by_the_template"
    ),
    "quant_seqlen": Refused(("--quant_seqlen", "512"), "only apply to --quant_method gptq or awq", "export"),
    "quant_batch_size": Refused(("--quant_batch_size", "2"), "only apply to --quant_method gptq or awq", "export"),
    "group_size": Refused(("--group_size", "64"), "only apply to --quant_method gptq or awq", "export"),
    "push_to_hub": Shown(f"{PUSH}::test_push_to_hub_offline_fails_naming_the_repository"),
    "hub_model_id": Shown(f"{PUSH}::test_push_to_hub_offline_fails_naming_the_repository"),
    "hub_private_repo": Shown(f"{PUSH}::test_push_creates_a_private_repository_with_the_commit_message"),
    "commit_message": Shown(f"{PUSH}::test_push_creates_a_private_repository_with_the_commit_message"),
}


# Flags with no evidence yet (see each entry's reason): this set may only shrink.
OWED: set[str] = set()
