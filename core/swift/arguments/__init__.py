"""Argument dataclasses of every swift command, their argv parser and args.json I/O.

Pure standard library (PyYAML only when a YAML config is read): importing this
package must never import torch, transformers or other heavy libraries. Names are
loaded on first use, so `swift infer` never pays for building the training classes.
"""

from typing import TYPE_CHECKING

from swift.kernel.lazy import lazy_exports

_EXPORTS = {
    "arg": "swift.arguments._fields",
    "AppArguments": "swift.arguments.app",
    "GradioArguments": "swift.arguments.app",
    "WebUIArguments": "swift.arguments.app",
    "BaseArguments": "swift.arguments.base",
    "compose": "swift.arguments.compose",
    "ArgumentError": "swift.arguments.errors",
    "HelpRequested": "swift.arguments.errors",
    "ExportArguments": "swift.arguments.export",
    "SamplingArguments": "swift.arguments.export",
    "DataArguments": "swift.arguments.groups",
    "GenerationArguments": "swift.arguments.groups",
    "ModelArguments": "swift.arguments.groups",
    "QuantizeArguments": "swift.arguments.groups",
    "TemplateArguments": "swift.arguments.groups",
    "GRPOArguments": "swift.arguments.grpo",
    "PPOArguments": "swift.arguments.grpo",
    "RewardModelArguments": "swift.arguments.grpo",
    "HfSeq2SeqTrainingArguments": "swift.arguments.hf_training",
    "DeployArguments": "swift.arguments.infer",
    "EvalArguments": "swift.arguments.infer",
    "InferArguments": "swift.arguments.infer",
    "MergeArguments": "swift.arguments.infer",
    "RolloutArguments": "swift.arguments.infer",
    "args_from_json": "swift.arguments.io",
    "load_args_file": "swift.arguments.io",
    "save_args": "swift.arguments.io",
    "prepare_output_dir": "swift.arguments.output_dir",
    "format_help": "swift.arguments.parser",
    "flag_table": "swift.arguments.parser",
    "parse_args": "swift.arguments.parser",
    "field_sections": "swift.arguments.help",
    "section_title": "swift.arguments.help",
    "aliases_of": "swift.arguments._fields",
    "default_of": "swift.arguments._fields",
    "convert_text": "swift.arguments._types",
    "describe": "swift.arguments._types",
    "element_type": "swift.arguments._types",
    "is_bool": "swift.arguments._types",
    "is_list": "swift.arguments._types",
    "split_optional": "swift.arguments._types",
    "RLHFArguments": "swift.arguments.rlhf",
    "PretrainArguments": "swift.arguments.train",
    "SftArguments": "swift.arguments.train",
    "TrainArguments": "swift.arguments.train",
    "AdaLoraArguments": "swift.arguments.tuners",
    "AdapterArguments": "swift.arguments.tuners",
    "BoftArguments": "swift.arguments.tuners",
    "FourierFtArguments": "swift.arguments.tuners",
    "GaLoreArguments": "swift.arguments.tuners",
    "LigerArguments": "swift.arguments.tuners",
    "LisaArguments": "swift.arguments.tuners",
    "LlamaProArguments": "swift.arguments.tuners",
    "LoraArguments": "swift.arguments.tuners",
    "NEFTuneArguments": "swift.arguments.tuners",
    "ReftArguments": "swift.arguments.tuners",
    "TorchAccArguments": "swift.arguments.tuners",
    "TunerArguments": "swift.arguments.tuners",
    "VeraArguments": "swift.arguments.tuners",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)


if TYPE_CHECKING:
    from swift.arguments._fields import aliases_of, arg, default_of
    from swift.arguments._types import convert_text, describe, element_type, is_bool, is_list, split_optional
    from swift.arguments.app import AppArguments, GradioArguments, WebUIArguments
    from swift.arguments.base import BaseArguments
    from swift.arguments.compose import compose
    from swift.arguments.errors import ArgumentError, HelpRequested
    from swift.arguments.export import ExportArguments, SamplingArguments
    from swift.arguments.groups import (
        DataArguments,
        GenerationArguments,
        ModelArguments,
        QuantizeArguments,
        TemplateArguments,
    )
    from swift.arguments.grpo import GRPOArguments, PPOArguments, RewardModelArguments
    from swift.arguments.help import field_sections, section_title
    from swift.arguments.hf_training import HfSeq2SeqTrainingArguments
    from swift.arguments.infer import (
        DeployArguments,
        EvalArguments,
        InferArguments,
        MergeArguments,
        RolloutArguments,
    )
    from swift.arguments.io import args_from_json, load_args_file, save_args
    from swift.arguments.output_dir import prepare_output_dir
    from swift.arguments.parser import flag_table, format_help, parse_args
    from swift.arguments.rlhf import RLHFArguments
    from swift.arguments.train import PretrainArguments, SftArguments, TrainArguments
    from swift.arguments.tuners import (
        AdaLoraArguments,
        AdapterArguments,
        BoftArguments,
        FourierFtArguments,
        GaLoreArguments,
        LigerArguments,
        LisaArguments,
        LlamaProArguments,
        LoraArguments,
        NEFTuneArguments,
        ReftArguments,
        TorchAccArguments,
        TunerArguments,
        VeraArguments,
    )
