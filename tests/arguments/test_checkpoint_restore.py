"""infer/export pointed at a training checkpoint recover the run's settings from its args.json."""

import json

import pytest

from swift.arguments import (
    ExportArguments,
    InferArguments,
    PretrainArguments,
    TrainArguments,
    parse_args,
    save_args,
)


@pytest.fixture
def lora_run(tmp_path):
    """A finished LoRA run: run/args.json and run/checkpoint-10/adapter_config.json."""
    run = tmp_path / "output" / "v0-20260101-000000"
    train = TrainArguments(
        model="Qwen/Qwen2.5-0.5B",
        template="qwen2_5",
        system="You are a test.",
        max_length=512,
        external_plugins=["/plugins/my_plugin.py"],
        torch_dtype="bfloat16",
        dataset=["train.jsonl"],
    )
    save_args(train, str(run))
    checkpoint = run / "checkpoint-10"
    checkpoint.mkdir()
    (checkpoint / "adapter_config.json").write_text(json.dumps({"r": 8}))
    return checkpoint


@pytest.fixture
def full_run(tmp_path):
    """A finished full-parameter run whose checkpoint holds its own args.json."""
    checkpoint = tmp_path / "full" / "checkpoint-5"
    checkpoint.mkdir(parents=True)
    save_args(TrainArguments(model="base-model", train_type="full", template="chatml"), str(checkpoint))
    (checkpoint / "model.safetensors").write_bytes(b"")
    return checkpoint


def test_adapters_restore_model_template_and_plugins(lora_run):
    args = InferArguments(adapters=[str(lora_run)])
    assert args.model == "Qwen/Qwen2.5-0.5B"
    assert args.template == "qwen2_5"
    assert args.system == "You are a test."
    assert args.max_length == 512
    assert args.external_plugins == ["/plugins/my_plugin.py"]
    assert args.torch_dtype == "bfloat16"
    assert args.train_type == "lora"
    assert args.dataset == []  # data arguments only with --load_data_args


def test_ckpt_dir_of_an_adapter_becomes_an_adapter(lora_run):
    args = parse_args(InferArguments, ["--ckpt_dir", str(lora_run)])
    assert args.adapters == [str(lora_run)]
    assert args.model == "Qwen/Qwen2.5-0.5B"


def test_explicit_flags_win_over_the_checkpoint(lora_run):
    args = parse_args(
        InferArguments,
        [
            "--adapters",
            str(lora_run),
            "--template",
            "chatml",
            "--system",
            "Other.",
            "--train_type",
            "lora",
        ],
    )
    assert args.template == "chatml"
    assert args.system == "Other."
    assert args.model == "Qwen/Qwen2.5-0.5B"


def test_load_data_args_also_restores_datasets(lora_run):
    args = InferArguments(adapters=[str(lora_run)], load_data_args=True)
    assert args.dataset == ["train.jsonl"]


def test_load_args_false_restores_nothing(lora_run):
    args = InferArguments(adapters=[str(lora_run)], load_args=False)
    assert args.model is None and args.template is None


def test_full_checkpoint_is_the_model_and_keeps_train_type(full_run):
    args = ExportArguments(ckpt_dir=str(full_run))
    assert args.model == str(full_run)
    assert args.adapters == []
    assert args.train_type == "full"
    assert args.template == "chatml"


def test_full_checkpoint_from_the_command_line_stays_the_model(full_run):
    args = parse_args(ExportArguments, ["--ckpt_dir", str(full_run), "--merge_lora", "false"])
    assert args.model == str(full_run)
    assert (args.train_type, args.template) == ("full", "chatml")


def test_pretraining_run_restores_its_generation_template(tmp_path):
    run = tmp_path / "pt"
    save_args(PretrainArguments(model="m"), str(run))
    (run / "checkpoint-1").mkdir()
    (run / "checkpoint-1" / "adapter_config.json").write_text("{}")
    args = InferArguments(adapters=[str(run / "checkpoint-1")])
    assert args.use_chat_template is False


def test_training_does_not_read_checkpoint_args_by_default(lora_run):
    args = TrainArguments(model="other", resume_from_checkpoint=str(lora_run))
    assert args.template is None
