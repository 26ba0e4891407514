"""GRPO with tools: the ``tool_call`` scheduler runs a registered tool the model calls; rewards read the trajectory."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import pytest

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather of a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
ASK = {"role": "user", "content": "What is the weather in Paris?"}
CALL = {
    "role": "assistant",
    "content": None,
    "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
}

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
    """The tiny model fully fine-tuned (by ``swift sft``'s code) to call get_weather, then answer."""
    from swift.llm import TrainArguments, sft_main

    folder = tmp_path_factory.mktemp("weather")
    result = {"role": "tool", "content": '{"city": "Paris", "temp": "18C"}'}
    rows = [
        {"tools": [WEATHER], "messages": [ASK, CALL]},
        {"tools": [WEATHER], "messages": [ASK, CALL, result, {"role": "assistant", "content": "18C in Paris."}]},
    ]
    data = folder / "sft.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows * 8), encoding="utf-8")
    args = TrainArguments(
        model=tiny_model_dir,
        template="qwen2_5",
        train_type="full",
        dataset=[str(data)],
        output_dir=str(folder / "out"),
        max_steps=80,
        learning_rate=3e-3,
        lr_scheduler_type="constant",
        warmup_ratio=0.0,
        per_device_train_batch_size=4,
        split_dataset_ratio=0.0,
        save_steps=80,
        logging_steps=40,
    )
    return sft_main(args)["last_model_checkpoint"]


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
