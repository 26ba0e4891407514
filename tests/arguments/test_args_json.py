"""args.json records every argument and rebuilds the same arguments."""

import json
import logging
import shlex
from dataclasses import dataclass, fields

from swift import __version__
from swift.arguments import (
    ExportArguments,
    InferArguments,
    RLHFArguments,
    TrainArguments,
    arg,
    args_from_json,
    load_args_file,
    parse_args,
    save_args,
)


@dataclass
class EngineGroup:
    """An engine plugin's group."""

    engine_memory: float = arg(0.9, "Memory fraction.")


def _round_trip(args, cls, tmp_path, **kwargs):
    save_args(args, str(tmp_path))
    return args_from_json(cls, str(tmp_path / "args.json"), **kwargs)


def test_train_arguments_round_trip_every_field_type(tmp_path):
    argv = shlex.split(
        "--model Qwen/Qwen2.5-0.5B --dataset a#5 b --reft_layers 1 2 --torch_dtype bfloat16"
        ' --model_kwargs \'{"fps": 2, "nested": {"x": [1, 2]}}\' --lora_rank 4'
        " --lorap_lr_ratio 16 --learning_rate 2e-5 --gradient_checkpointing false"
        " --deepspeed zero3 --fsdp --system 'None of your business'"
    )
    args = parse_args(TrainArguments, argv)
    rebuilt = _round_trip(args, TrainArguments, tmp_path)
    assert rebuilt == args
    assert rebuilt.system == "None of your business"
    assert rebuilt.fsdp is True


def test_rlhf_arguments_round_trip_with_resolved_defaults(tmp_path):
    args = RLHFArguments(model="m", rlhf_type="grpo", reward_funcs=["accuracy", "format"], reward_weights=[1.0, 0.5])
    rebuilt = _round_trip(args, RLHFArguments, tmp_path)
    assert rebuilt == args
    assert (rebuilt.beta, rebuilt.temperature, rebuilt.reward_weights) == (0.04, 0.9, [1.0, 0.5])


def test_infer_arguments_round_trip(tmp_path):
    args = InferArguments(model="m", adapters=["lora=/nowhere"], infer_backend="transformers", stop_words=["</s>"])
    assert _round_trip(args, InferArguments, tmp_path) == args


def test_plugin_group_values_round_trip(tmp_path):
    args = parse_args(InferArguments, ["--model", "m", "--engine_memory", "0.3"], extra_groups=[EngineGroup])
    rebuilt = _round_trip(args, InferArguments, tmp_path, extra_groups=[EngineGroup])
    assert rebuilt == args and rebuilt.engine_memory == 0.3


def test_args_json_holds_all_fields_and_meta(tmp_path):
    args = TrainArguments(model="m")
    path = save_args(args, str(tmp_path / "run"))
    data = load_args_file(str(tmp_path / "run"))
    assert path.endswith("args.json")
    assert set(data) == {f.name for f in fields(TrainArguments)} | {"swift_meta"}
    assert data["swift_meta"]["class"] == "TrainArguments"
    assert data["swift_meta"]["version"] == __version__
    json.dumps(data)  # plain JSON


def test_unknown_keys_are_ignored_with_a_warning(tmp_path, caplog):
    save_args(TrainArguments(model="m", lora_rank=4), str(tmp_path))
    data = load_args_file(str(tmp_path))
    data["flag_from_the_future"] = 1
    (tmp_path / "args.json").write_text(json.dumps(data))
    with caplog.at_level(logging.WARNING):
        rebuilt = args_from_json(TrainArguments, str(tmp_path))
    assert rebuilt.lora_rank == 4
    assert "flag_from_the_future" in caplog.text


def test_plugin_files_are_saved_as_absolute_paths(tmp_path, monkeypatch):
    """`swift infer` run from another folder must still find the run's plugin files."""
    monkeypatch.chdir(tmp_path)
    save_args(TrainArguments(model="m", external_plugins=["my_plugin.py"]), str(tmp_path / "run"))
    assert load_args_file(str(tmp_path / "run"))["external_plugins"] == [str(tmp_path / "my_plugin.py")]


def test_old_names_and_overrides(tmp_path):
    save_args(TrainArguments(model="m"), str(tmp_path))
    data = load_args_file(str(tmp_path))
    del data["external_plugins"]
    data["custom_register_path"] = ["/plugins/plugin.py"]
    (tmp_path / "args.json").write_text(json.dumps(data))
    rebuilt = args_from_json(TrainArguments, str(tmp_path), lora_rank=32)
    assert rebuilt.external_plugins == ["/plugins/plugin.py"]
    assert rebuilt.lora_rank == 32


def test_export_rebuilds_from_a_training_record(tmp_path):
    save_args(TrainArguments(model="m", template="chatml"), str(tmp_path))
    rebuilt = args_from_json(ExportArguments, str(tmp_path), load_args=False)
    assert rebuilt.template == "chatml" and rebuilt.model == "m"
