"""The static mirror matches the installed transformers' Seq2SeqTrainingArguments."""

import dataclasses
import enum

import pytest

from swift.arguments import HfSeq2SeqTrainingArguments, TrainArguments
from swift.arguments._fields import default_of
from swift.arguments.train import HF_DEFAULT_OVERRIDES

transformers = pytest.importorskip("transformers")


def _hf_defaults() -> dict:
    defaults = {}
    for f in dataclasses.fields(transformers.Seq2SeqTrainingArguments):
        if not f.init:
            continue
        value = default_of(f)
        defaults[f.name] = value.value if isinstance(value, enum.Enum) else value
    return defaults


def _same(ours, theirs) -> bool:
    # report_to is a list for us; transformers also takes a single string
    if isinstance(ours, list) and isinstance(theirs, str):
        return ours == [theirs]
    return ours == theirs


def test_mirror_has_every_transformers_field_with_its_default():
    ours = {f.name: default_of(f) for f in dataclasses.fields(HfSeq2SeqTrainingArguments)}
    theirs = _hf_defaults()
    assert sorted(set(theirs) - set(ours)) == [], "regenerate with tests/arguments/generate_hf_mirror.py"
    assert sorted(set(ours) - set(theirs)) == []
    wrong = {name: (ours[name], value) for name, value in theirs.items() if not _same(ours[name], value)}
    assert wrong == {}


def test_train_arguments_differ_from_transformers_only_where_swift_overrides():
    ours = {f.name: default_of(f) for f in dataclasses.fields(TrainArguments)}
    theirs = _hf_defaults()
    differing = {name for name, value in theirs.items() if not _same(ours[name], value)}
    assert differing == set(HF_DEFAULT_OVERRIDES)
    for name, value in HF_DEFAULT_OVERRIDES.items():
        assert ours[name] == value


def test_renamed_transformers_fields_use_the_new_names():
    names = {f.name for f in dataclasses.fields(TrainArguments)}
    assert {"eval_strategy", "use_cpu"} <= names
    assert not {"evaluation_strategy", "no_cuda", "overwrite_output_dir", "logging_dir"} & names


def test_mirror_values_build_a_real_transformers_config(tmp_path):
    pytest.importorskip("torch")
    args = TrainArguments(model="m", output_dir=str(tmp_path), use_cpu=True)
    hf_names = {f.name for f in dataclasses.fields(transformers.Seq2SeqTrainingArguments) if f.init}
    values = {name: getattr(args, name) for name in hf_names}
    # transformers 5 renamed gradient_checkpointing; the training plugin maps it
    values.pop("gradient_checkpointing")
    values["activation_checkpointing"] = False  # a CPU test
    real = transformers.Seq2SeqTrainingArguments(**values)
    assert real.learning_rate == 1e-4
    assert real.lr_scheduler_type.value == "cosine"
    assert real.per_device_train_batch_size == 1


def test_the_mirrored_optimizer_names_are_the_installed_transformers_ones():
    from transformers.training_args import OptimizerNames

    from swift.arguments.hf_training import TRANSFORMERS_OPTIMIZERS

    assert sorted(TRANSFORMERS_OPTIMIZERS) == sorted(o.value for o in OptimizerNames)
