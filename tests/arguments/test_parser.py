"""The command line reads like ms-swift's: lists, JSON dicts, config files, aliases, errors."""

import json
import os
import pickle
from dataclasses import dataclass

import pytest

from swift.arguments import (
    ArgumentError,
    DeployArguments,
    HelpRequested,
    InferArguments,
    RLHFArguments,
    SftArguments,
    TrainArguments,
    arg,
    format_help,
    parse_args,
)
from swift.kernel.errors import ConflictError, UsageError


def sft(*argv):
    return parse_args(TrainArguments, list(argv), prog="swift sft")


def test_lists_are_space_separated():
    args = sft("--model", "m", "--dataset", "a#5", "b:sub#10", "c", "--lora_rank", "16")
    assert args.dataset == ["a#5", "b:sub#10", "c"]
    assert args.lora_rank == 16


def test_list_of_numbers_is_converted():
    args = sft("--model", "m", "--reft_layers", "1", "2", "3")
    assert args.reft_layers == [1, 2, 3]


def test_dict_from_json_string():
    args = sft("--model", "m", "--model_kwargs", '{"fps_max_frames": 12}')
    assert args.model_kwargs == {"fps_max_frames": 12}


def test_dict_from_json_file_path(tmp_path):
    path = tmp_path / "kwargs.json"
    path.write_text(json.dumps({"max_pixels": 1024}))
    args = sft("--model", "m", "--model_kwargs", str(path))
    assert args.model_kwargs == {"max_pixels": 1024}


def test_dict_or_name_field_keeps_a_name():
    assert sft("--model", "m", "--deepspeed", "zero2").deepspeed == "zero2"
    assert sft("--model", "m", "--deepspeed", '{"zero_optimization": {}}').deepspeed == {"zero_optimization": {}}


def test_bad_json_dict_is_an_argument_error():
    with pytest.raises(ArgumentError, match="--model_kwargs.*JSON object"):
        sft("--model", "m", "--model_kwargs", "{not json")


@pytest.mark.parametrize(
    ("spelling", "value"),
    [
        ([], True),
        (["true"], True),
        (["True"], True),
        (["1"], True),
        (["yes"], True),
        (["false"], False),
        (["0"], False),
        (["no"], False),
    ],
)
def test_bool_spellings(spelling, value):
    args = parse_args(InferArguments, ["--model", "m", "--stream", *spelling, "--max_new_tokens", "8"])
    assert args.stream is value
    assert args.max_new_tokens == 8


def test_equals_form_and_dash_spelling():
    args = sft("--model=m", "--lora-rank", "4", "--lora_alpha=16")
    assert (args.model, args.lora_rank, args.lora_alpha) == ("m", 4, 16)


def test_negative_numbers_are_values():
    args = sft("--model", "m", "--max_steps", "-1", "--repetition_penalty", "-0.5")
    assert args.max_steps == -1
    assert args.repetition_penalty == -0.5


def test_optional_value_accepts_none():
    args = parse_args(RLHFArguments, ["--model", "m", "--rpo_alpha", "none"])
    assert args.rpo_alpha is None


def test_yaml_config_is_expanded_and_later_flags_win(tmp_path):
    config = tmp_path / "sft.yaml"
    config.write_text(
        "model: Qwen/Qwen2.5-0.5B\n"
        "dataset:\n  - a#5\n  - b\n"
        "lora_rank: 4\n"
        "learning_rate: 1e-4\n"
        "model_kwargs: {k: 1}\n"
        "gradient_checkpointing: false\n"
    )
    args = sft(str(config), "--lora_rank", "16")
    assert args.model == "Qwen/Qwen2.5-0.5B"
    assert args.dataset == ["a#5", "b"]
    assert args.lora_rank == 16
    assert args.learning_rate == 1e-4
    assert args.model_kwargs == {"k": 1}
    assert args.gradient_checkpointing is False


def test_json_config_is_expanded(tmp_path):
    config = tmp_path / "infer.json"
    config.write_text(json.dumps({"model": "m", "infer-backend": "transformers", "stop_words": "x"}))
    args = parse_args(InferArguments, [str(config), "--max_batch_size", "4"])
    assert (args.model, args.infer_backend, args.max_batch_size) == ("m", "pt", 4)
    assert args.stop_words == ["x"]


def test_unknown_key_in_config_names_the_closest_flag(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("model: m\nlora_rnak: 4\n")
    with pytest.raises(ArgumentError, match="--lora_rank"):
        sft(str(config))


def test_tuner_type_is_an_alias_of_train_type():
    assert sft("--model", "m", "--tuner_type", "full").train_type == "full"


def test_custom_register_path_is_an_alias_of_external_plugins():
    args = sft("--model", "m", "--custom_register_path", "a.py", "b.py")
    assert args.external_plugins == [os.path.abspath("a.py"), os.path.abspath("b.py")]


def test_lora_bias_trainable_is_an_alias_of_lora_bias():
    assert sft("--model", "m", "--lora_bias_trainable", "all").lora_bias == "all"


def test_transformers_backend_is_pt():
    args = parse_args(InferArguments, ["--model", "m", "--infer_backend", "transformers"])
    assert args.infer_backend == "pt"
    assert InferArguments(model="m", infer_backend="vLLM").infer_backend == "vllm"


def test_sft_arguments_parse_like_train_arguments():
    assert isinstance(parse_args(SftArguments, ["--model", "m"]), TrainArguments)


def test_unknown_flag_names_the_closest_valid_flag():
    with pytest.raises(ArgumentError) as info:
        sft("--model", "m", "--lora_rnak", "8")
    assert "--lora_rnak" in str(info.value)
    assert "Did you mean --lora_rank?" in str(info.value)
    assert info.value.suggestion == "--lora_rank"
    assert info.value.exit_code == 2
    assert isinstance(info.value, UsageError)


def test_unknown_flags_only_warn_with_ignore_args_error(caplog):
    args = sft("--model", "m", "--no_such_flag", "1", "--ignore_args_error", "true")
    assert args.model == "m"
    assert "--no_such_flag" in caplog.text


def test_bad_choice_lists_the_choices():
    with pytest.raises(ArgumentError) as info:
        sft("--model", "m", "--truncation_strategy", "lfet")
    message = str(info.value)
    assert "--truncation_strategy" in message
    assert "delete" in message and "left" in message
    assert "Did you mean 'left'?" in message


def test_bad_number_names_the_flag():
    with pytest.raises(ArgumentError, match="--lora_rank: expects an integer"):
        sft("--model", "m", "--lora_rank", "eight")


def test_missing_value_is_an_error():
    with pytest.raises(ArgumentError, match="--lora_rank: expects a value"):
        sft("--model", "m", "--lora_rank")


def test_stray_positional_is_an_error():
    with pytest.raises(ArgumentError, match="unexpected argument 'oops'"):
        sft("--model", "m", "--lora_rank", "8", "oops")


def test_help_flag_raises_help_with_every_group():
    with pytest.raises(HelpRequested) as info:
        sft("--model", "m", "--help")
    text = info.value.text
    assert info.value.exit_code == 0
    assert text.startswith("usage: swift sft")
    for title in (
        "ModelArguments",
        "LoraArguments",
        "HfSeq2SeqTrainingArguments",
        "SwiftTrainingFields",
    ):
        assert title in text
    assert "--lora_rank INT" in text and "[default: 8]" in text
    assert "--train_type, --tuner_type STR" in text
    assert "--truncation_strategy {delete,left}" in text


@dataclass
class VllmGroup:
    """vLLM engine."""

    gpu_memory_utilization: float = arg(0.9, "Fraction of GPU memory vLLM may use.")
    tensor_parallel_size: int = arg(1, "Tensor parallel degree.")
    max_model_len: int | None = arg(None, "Longest sequence vLLM serves.")

    def __post_init__(self):
        self.vllm_checked = True


@dataclass
class LmdeployGroup:
    """LMDeploy engine."""

    tp: int = arg(1, "Tensor parallel degree.")
    session_len: int | None = arg(None, "Session length.")


@dataclass
class ClashingGroup:
    """Another engine that reuses a name."""

    tensor_parallel_size: int = arg(2, "Tensor parallel degree.")


def test_plugin_groups_add_their_flags():
    argv = ["--model", "m", "--gpu_memory_utilization", "0.5", "--tp", "2", "--port", "9000"]
    args = parse_args(DeployArguments, argv, extra_groups=[VllmGroup, LmdeployGroup])
    assert isinstance(args, DeployArguments)
    assert isinstance(args, VllmGroup) and isinstance(args, LmdeployGroup)
    assert args.gpu_memory_utilization == 0.5
    assert args.tp == 2 and args.port == 9000
    assert args.vllm_checked is True  # the group's own __post_init__ ran


def test_combined_arguments_pickle_for_worker_processes():
    args = parse_args(DeployArguments, ["--model", "m"], extra_groups=[VllmGroup])
    assert pickle.loads(pickle.dumps(args)) == args


def test_two_groups_defining_one_flag_is_a_clear_error():
    with pytest.raises(ConflictError, match="tensor_parallel_size.*VllmGroup.*ClashingGroup"):
        parse_args(DeployArguments, ["--model", "m"], extra_groups=[VllmGroup, ClashingGroup])


def test_plugin_group_cannot_redefine_a_core_flag():
    @dataclass
    class PortGroup:
        port: int = 1

    with pytest.raises(ConflictError, match="--port"):
        parse_args(DeployArguments, [], extra_groups=[PortGroup])


def test_help_shows_plugin_groups_under_their_own_title():
    text = format_help(DeployArguments, extra_groups=[VllmGroup], prog="swift deploy", description="Serve.")
    assert "VllmGroup — vLLM engine." in text
    assert "--gpu_memory_utilization FLOAT" in text
    assert text.index("DeployArguments") < text.index("VllmGroup")
    assert "Serve." in text
