"""The conformance suites accept swift's own plugins: the checks ask for nothing unreasonable.

These are the suites used exactly as a plugin author uses them, pointed at the
first-party plugins installed in the development environment.
"""

from __future__ import annotations

from pathlib import Path

from swift_sdk.conformance import (
    AgentTemplateConformance,
    CommandConformance,
    DatasetConformance,
    EngineConformance,
    EvalBackendConformance,
    LossConformance,
    ModelConformance,
    RewardConformance,
    SchedulerConformance,
    TemplateConformance,
    ToolConformance,
    TrainerConformance,
    TunerConformance,
)

DATA = Path(__file__).parent / "data"


class TestSwiftPeft(TunerConformance):
    plugin = "swift_peft.hooks"
    distribution = "swift-peft"


class TestSwiftTransformers(
    ModelConformance, DatasetConformance, LossConformance, EngineConformance, TrainerConformance
):
    plugin = "swift_transformers.hooks"
    distribution = "swift-transformers"
    dataset_arguments = {
        "model_name": ["小黄", "Xiao Huang"],
        "model_author": ["魔搭", "ModelScope"],
    }
    dataset_samples = {
        "jsonl": str(DATA / "chats.jsonl"),
        "json": str(DATA / "alpaca.json"),
        "csv": str(DATA / "qa.csv"),
        "txt": str(DATA / "corpus.txt"),
    }


class TestSwiftEval(EvalBackendConformance, CommandConformance):
    plugin = "swift_eval.hooks"
    distribution = "swift-eval"
    overrides = ("eval",)  # swift-eval implements the command the core declares


class TestBuiltinTemplates(TemplateConformance, AgentTemplateConformance):
    plugin = "swift.builtins.templates"  # chat templates and tool formats


class TestBuiltinLossScales(LossConformance):
    plugin = "swift.builtins.loss_scales"


class TestBuiltinRewards(RewardConformance):
    plugin = "swift.builtins.rewards"
    reward_arguments = {"soft_max_length": 64, "soft_cache_length": 16}


class TestBuiltinSchedulers(SchedulerConformance, ToolConformance):
    plugin = "swift.builtins.schedulers"  # schedulers and the tools tool_call runs


class TestBuiltinCommands(CommandConformance):
    plugin = "swift.builtins.commands"  # swift-serve takes over deploy/rollout: builtins allow that
