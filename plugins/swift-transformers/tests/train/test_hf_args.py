"""How swift's training flags become transformers' ``Seq2SeqTrainingArguments``."""

from __future__ import annotations

import pytest
from swift_transformers.train.deepspeed_presets import PRESETS, resolve_deepspeed
from swift_transformers.train.hf_args import build_training_arguments, training_values


def test_seed_defaults_reach_transformers_and_cpu_is_used_without_a_gpu(train_args, tmp_path):
    hf = build_training_arguments(train_args(learning_rate=None, logging_steps=5), str(tmp_path), has_eval=False)

    assert hf.output_dir == str(tmp_path)
    assert hf.learning_rate == 1e-4 and hf.weight_decay == 0.1 and hf.lr_scheduler_type == "cosine"
    assert hf.logging_steps == 5 and hf.logging_first_step and hf.report_to == ["tensorboard"]
    assert hf.activation_checkpointing and hf.remove_unused_columns is False
    assert hf.use_cpu and hf.dataloader_pin_memory is False


def test_full_training_defaults_to_a_smaller_learning_rate(train_args, tmp_path):
    hf = build_training_arguments(train_args(train_type="full", learning_rate=None), str(tmp_path), has_eval=False)

    assert hf.learning_rate == 1e-5


def test_cpu_ranks_use_gloo(train_args, tmp_path, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")

    assert training_values(train_args(), str(tmp_path), has_eval=False)["ddp_backend"] == "gloo"


def test_fp16_is_dropped_on_cpu(train_args, tmp_path):
    values = training_values(train_args(fp16=True), str(tmp_path), has_eval=False)

    assert values["fp16"] is False


def test_deepspeed_presets_become_configs_and_fsdp_passes_through(train_args, tmp_path):
    values = training_values(
        train_args(deepspeed="zero3_offload", fsdp="full_shard", fsdp_config={"min_num_params": 1}),
        str(tmp_path),
        has_eval=False,
    )

    assert values["deepspeed"]["zero_optimization"]["stage"] == 3
    assert values["deepspeed"]["zero_optimization"]["offload_param"]["device"] == "cpu"
    assert values["fsdp"] == "full_shard" and values["fsdp_config"] == {"min_num_params": 1}


def test_deepspeed_accepts_json_text_and_paths_and_names_presets_on_typos(tmp_path):
    from swift.kernel import UsageError

    path = tmp_path / "ds.json"
    path.write_text("{}")

    assert resolve_deepspeed('{"zero_optimization": {"stage": 1}}') == {"zero_optimization": {"stage": 1}}
    assert resolve_deepspeed(str(path)) == str(path)
    assert set(PRESETS) >= {"zero2", "zero3"}
    with pytest.raises(UsageError, match="zero2"):
        resolve_deepspeed("zero5")


def test_evaluation_follows_saving_when_there_is_a_validation_set(train_args, tmp_path):
    with_val = training_values(train_args(save_steps=7), str(tmp_path), has_eval=True)
    without = training_values(train_args(eval_strategy="steps"), str(tmp_path), has_eval=False)

    assert with_val["eval_strategy"] == "steps" and with_val["eval_steps"] == 7
    assert with_val["metric_for_best_model"] == "loss" and with_val["greater_is_better"] is False
    assert without["eval_strategy"] == "no"


def test_warmup_ratio_shuffle_and_galore_map_to_transformers_names(train_args, tmp_path):
    values = training_values(
        train_args(warmup_ratio=0.1, train_dataloader_shuffle=False, use_galore=True, galore_rank=16),
        str(tmp_path),
        has_eval=False,
    )

    assert values["warmup_steps"] == 0.1
    assert values["train_sampling_strategy"] == "sequential"
    assert values["optim"] == "galore_adamw" and "rank=16" in values["optim_args"]


def test_combinations_transformers_rejects_are_reported_as_usage_errors(train_args, tmp_path):
    from swift.kernel import UsageError

    args = train_args(load_best_model_at_end=True, eval_strategy="steps", save_strategy="epoch")
    with pytest.raises(UsageError, match="invalid training arguments"):
        build_training_arguments(args, str(tmp_path), has_eval=True)


@pytest.mark.parametrize("optimizer", ["sgd", "adafactor", "rmsprop"])
def test_a_transformers_optimizer_name_given_to_optimizer_becomes_optim(train_args, tmp_path, optimizer):
    hf = build_training_arguments(train_args(optimizer=optimizer), str(tmp_path), has_eval=False)
    assert hf.optim == optimizer


def test_optimizer_galore_is_use_galore(train_args, tmp_path):
    values = training_values(train_args(optimizer="galore", galore_rank=8), str(tmp_path), has_eval=False)
    assert values["optim"] == "galore_adamw" and "rank=8" in values["optim_args"]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"every_n_layer": 2}, "unknown option 'every_n_layer'.*did you mean 'every_n_layers'"),
        ({"every_n_layers": 0}, "every_n_layers must be a whole number"),
        ({"every_n_layers": True}, "every_n_layers must be a whole number"),
        ("use_reentrant", "give a JSON object"),
    ],
)
def test_gradient_checkpointing_kwargs_are_checked_before_anything_loads(train_args, sft, tmp_path, options, message):
    from swift.kernel import UsageError

    with pytest.raises(UsageError, match=message):
        sft(train_args(gradient_checkpointing_kwargs=options, output_dir=str(tmp_path / "out")))
    with pytest.raises(UsageError, match="has no effect with --gradient_checkpointing false"):
        sft(train_args(gradient_checkpointing=False, gradient_checkpointing_kwargs={"use_reentrant": False}))
    assert not (tmp_path / "out").exists()


def test_transformers_checkpoint_options_are_read_from_the_installed_release():
    import inspect

    from swift_transformers.checks import transformers_checkpoint_options
    from transformers import PreTrainedModel

    takes = inspect.signature(PreTrainedModel.activation_checkpointing_enable).parameters
    assert transformers_checkpoint_options() == tuple(o for o in ("every_n_layers", "offload") if o in takes)


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="checks the refusal on a machine without a GPU")
def test_transformers_offload_of_checkpointed_layers_is_refused_without_a_gpu(train_args, sft):
    from swift.kernel import UsageError

    with pytest.raises(UsageError, match="offload keeps the checkpointed layers' inputs in pinned host memory"):
        sft(train_args(gradient_checkpointing_kwargs={"offload": True}))
