"""The conformance suites accept swift's own plugins: the checks ask for nothing unreasonable.

These are the suites used exactly as a plugin author uses them, pointed at the
first-party plugins installed in the development environment.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


class _BuiltOnUse(dict):
    """``{model type: builder}``: a checkpoint is built only when its model type is checked."""

    def get(self, key, default=None):
        builder = super().get(key)
        return builder() if builder is not None else default


def _tiny(arch: str):
    from swift_sdk.conformance.tiny_cache import tiny_model_dir

    return lambda: tiny_model_dir(arch)


class TestSwiftTransformers(
    ModelConformance, DatasetConformance, LossConformance, EngineConformance, TrainerConformance
):
    plugin = "swift_transformers.hooks"
    distribution = "swift-transformers"
    # the generic types match any checkpoint: each is checked on one it would be chosen for
    model_dirs = _BuiltOnUse(
        {"causal_lm": _tiny("qwen3"), "vision_lm": _tiny("llava_next"), "qwen3_5_vl": _tiny("qwen3_5")}
    )
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

    @pytest.fixture(autouse=True)
    def hub_cache(self, tmp_path_factory, monkeypatch):
        """The hub datasets' Hugging Face copies, three rows each in their own columns, in the hub's cache layout.

        This machine has no hub; the records load offline from the cache, as a user's cached run does.
        """
        from huggingface_hub import constants

        alpaca = {"instruction": "Name a colour.", "input": "", "output": "Blue."}
        rows = {
            "vicgalle/alpaca-gpt4": alpaca,
            "llm-wizard/alpaca-gpt4-data-zh": {"instruction": "说一种颜色。", "input": "", "output": "蓝色。"},
            "yahma/alpaca-cleaned": alpaca,
            "TIGER-Lab/MathInstruct": {"instruction": "2 + 3?", "output": "5", "source": "toy"},
            "garage-bAInd/Open-Platypus": {**alpaca, "data_source": "toy"},
            "b-mc2/sql-create-context": {
                "question": "Rows?",
                "context": "CREATE TABLE t (x INT)",
                "answer": "SELECT 1",
            },
            "lmsys/lmsys-chat-1m": {
                "conversation_id": "c1",
                "conversation": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}],
            },
        }
        cache = tmp_path_factory.mktemp("hub")
        sha = "0" * 40
        for repo_id, row in rows.items():
            repo = cache / ("datasets--" + repo_id.replace("/", "--"))
            (repo / "refs").mkdir(parents=True)
            (repo / "refs" / "main").write_text(sha)
            data = repo / "snapshots" / sha / "data" / "train.jsonl"
            data.parent.mkdir(parents=True)
            data.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for _ in range(3)))
        monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
        monkeypatch.setenv("USE_HF", "1")


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
