"""GRPO with tools: the ``tool_call`` scheduler runs a registered tool the model calls; rewards read the trajectory."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import pytest

from swift.template.check import WEATHER_TOOL as WEATHER

ASK = {"role": "user", "content": "What is the weather in Paris?"}

PLUGIN = '''
import json, os
from swift.kernel import RewardRecord, ToolRecord, hookimpl

def get_weather(city):
    with open(os.environ["TOOL_RECORD"], "a") as fh:
        fh.write(json.dumps({"city": city}) + "\\n")
    return {"city": city, "temp": "18C"}

def used_the_tool(completions, **kwargs):
    """1 when the trajectory holds the tool's result and a final answer after it."""
    with open(os.environ["REWARD_RECORD"], "a") as fh:
        fh.write(json.dumps(completions) + "\\n")
    return [float(any(m["role"] == "tool" and "18C" in m["content"] for m in c)) for c in completions]

@hookimpl
def swift_register_tools():
    yield ToolRecord(name="get_weather", load=f"{__name__}:get_weather")

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="used_the_tool", load=f"{__name__}:used_the_tool")
'''


@pytest.fixture(scope="module")
def weather_model(tiny_model_dir, tmp_path_factory) -> str:
    """The tiny model fine-tuned to call get_weather, then answer from the plugin tool's result."""
    from swift_sdk.tiny import train_tool_caller

    folder = tmp_path_factory.mktemp("weather")
    return train_tool_caller(tiny_model_dir, folder, tool_result='{"city": "Paris", "temp": "18C"}', answer="18C.")


def test_grpo_runs_the_called_tool_and_the_reward_reads_the_trajectory(
    weather_model, rlhf_args, rlhf, tmp_path, monkeypatch, read_logs
):
    plugin = tmp_path / "weather_tools.py"
    plugin.write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    monkeypatch.setenv("TOOL_RECORD", str(tmp_path / "tool_calls.jsonl"))
    monkeypatch.setenv("REWARD_RECORD", str(tmp_path / "rewards.jsonl"))
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(json.dumps({"tools": [WEATHER], "messages": [ASK]}) + "\n", encoding="utf-8")

    result = rlhf(
        rlhf_args(
            "grpo",
            model=weather_model,
            template="qwen2_5",
            dataset=[str(prompts)],
            external_plugins=[str(plugin)],
            reward_funcs=["used_the_tool"],
            multi_turn_scheduler="tool_call",
            max_turns=3,
            max_completion_length=48,
            temperature=0.3,
            max_steps=1,
            save_steps=1,
            log_completions=True,
        )
    )

    tool_calls = read_logs(tmp_path / "tool_calls.jsonl")
    assert tool_calls and all(call == {"city": "Paris"} for call in tool_calls)  # the model's arguments
    [completions] = read_logs(tmp_path / "rewards.jsonl")
    for trajectory in completions:
        roles = [m["role"] for m in trajectory]
        assert roles[:3] == ["assistant", "tool", "assistant"]  # call, the tool's result, the answer
        assert json.loads(trajectory[1]["content"]) == {"city": "Paris", "temp": "18C"}
    rows = read_logs(Path(result["output_dir"]) / "completions.jsonl")
    assert rows and all(row["model_written"][-3:] == [True, False, True] for row in rows)
    logs = [r for r in read_logs(Path(result["output_dir"]) / "logging.jsonl") if "loss" in r]
    assert logs and all(math.isfinite(r["loss"]) for r in logs)


def test_rollouts_of_the_tool_scheduler_keep_special_tokens():
    """Tool markers may be special tokens (Mistral, DeepSeek): the tool scheduler's answers keep them."""
    from types import SimpleNamespace

    from swift_trl.grpo.recipe import request_config

    from swift.scheduler import MultiTurnScheduler
    from swift.scheduler.tools import ToolCallScheduler

    args = SimpleNamespace(max_completion_length=8, temperature=1.0, top_k=None, top_p=None, repetition_penalty=None)
    assert request_config(args, ToolCallScheduler()).skip_special_tokens is False
    assert request_config(args, MultiTurnScheduler()).skip_special_tokens is True
    assert request_config(args).skip_special_tokens is True
