"""``swift rlhf`` from the command line, as users run it."""

from __future__ import annotations

import json
import math
import re
import textwrap
from pathlib import Path

REWARD_PLUGIN = """
import json, os
from swift.kernel import RewardRecord, hookimpl

def matches_solution(completions, solution, **kwargs):
    with open(os.environ["REWARD_RECORD"], "a") as fh:
        fh.write(json.dumps({"solution": solution, "prompts": kwargs["prompts"]}) + "\\n")
    return [float(s in c) for c, s in zip(completions, solution)]

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="matches_solution", load=f"{__name__}:matches_solution")
"""

COMMON = [
    "--max_steps",
    "2",
    "--save_steps",
    "2",
    "--logging_steps",
    "1",
    "--split_dataset_ratio",
    "0",
    "--report_to",
    "none",
    "--lora_dropout",
    "0",
]


def test_swift_rlhf_dpo_trains_and_prints_where_the_checkpoint_is(
    run_swift, tiny_model_path, rlhf_data, tmp_path, read_jsonl
):
    done = run_swift(
        "rlhf",
        "--rlhf_type",
        "dpo",
        "--model",
        str(tiny_model_path),
        "--dataset",
        rlhf_data["pairs"],
        "--output_dir",
        str(tmp_path / "out"),
        "--per_device_train_batch_size",
        "2",
        *COMMON,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    ckpt = Path(re.search(r"last_model_checkpoint: (\S+)", done.stdout).group(1))
    assert (ckpt / "adapter_model.safetensors").is_file()
    saved = json.loads((ckpt.parent / "args.json").read_text())
    assert saved["rlhf_type"] == "dpo" and saved["beta"] == 0.1
    losses = [r["loss"] for r in read_jsonl(ckpt.parent / "logging.jsonl") if "loss" in r]
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)


def test_swift_rlhf_grpo_passes_the_solution_column_to_a_plugin_file_reward(
    run_swift, tiny_model_path, rlhf_data, tmp_path, read_jsonl
):
    plugin = tmp_path / "my_rewards.py"
    plugin.write_text(textwrap.dedent(REWARD_PLUGIN))
    record = tmp_path / "calls.jsonl"

    done = run_swift(
        "rlhf",
        "--rlhf_type",
        "grpo",
        "--model",
        str(tiny_model_path),
        "--dataset",
        rlhf_data["prompts"],
        "--output_dir",
        str(tmp_path / "out"),
        "--external_plugins",
        str(plugin),
        "--reward_funcs",
        "matches_solution",
        "format",
        "--reward_weights",
        "1",
        "0.5",
        "--num_generations",
        "2",
        "--per_device_train_batch_size",
        "2",
        "--max_completion_length",
        "8",
        *COMMON,
        env={"REWARD_RECORD": str(record)},
    )

    assert done.returncode == 0, done.stderr[-3000:]
    solutions = {r["messages"][0]["content"]: r["solution"] for r in read_jsonl(rlhf_data["prompts"])}
    calls = read_jsonl(record)
    assert len(calls) == 2
    for call in calls:
        assert [solutions[p[0]["content"]] for p in call["prompts"]] == call["solution"]
    run_dir = Path(re.search(r"last_model_checkpoint: (\S+)", done.stdout).group(1)).parent
    logs = [r for r in read_jsonl(run_dir / "logging.jsonl") if "loss" in r]
    assert len(logs) == 2 and all(math.isfinite(r["loss"]) for r in logs)
    assert all("rewards/matches_solution/mean" in r and "rewards/format/mean" in r for r in logs)
    assert json.loads((run_dir / "args.json").read_text())["external_plugins"] == [str(plugin)]
