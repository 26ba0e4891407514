"""A reward and a multi-turn scheduler shipped by an installed third-party package are found
through their entry points and used by ``swift rlhf`` (in-process ``rlhf_main``)."""

from __future__ import annotations

import math
from pathlib import Path

HOOKS = """
from swift.kernel import RewardRecord, SchedulerRecord, hookimpl

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="acme_exact", load="acme_rl.impl:exact_answer",
                       summary="1.0 when the answer contains the solution")

@hookimpl
def swift_register_schedulers():
    yield SchedulerRecord(name="acme_retry", load="acme_rl.impl:RetryOnce")
"""

IMPL = """
import json, os
from swift.scheduler import MultiTurnScheduler, append_messages

def _log(**event):
    with open(os.environ["ACME_LOG"], "a") as fh:
        fh.write(json.dumps(event) + "\\n")

def exact_answer(completions, solution, **kwargs):
    _log(what="reward", n=len(completions), solution=solution,
         multi_turn=all(isinstance(c, list) for c in completions))
    return [float(sol in c[-1]["content"]) for c, sol in zip(completions, solution)]

class RetryOnce(MultiTurnScheduler):
    def check_finished(self, request, choice, turn):
        _log(what="check_finished", turn=turn)
        return turn >= 2  # even a cut answer gets its second try

    def step(self, request, choice, turn):
        _log(what="step", turn=turn)
        return append_messages(super().step(request, choice, turn),
                               {"role": "user", "content": "Check again."})
"""


def test_an_installed_packages_reward_and_scheduler_drive_grpo(
    fake_dist, make_kernel, tiny_model_path, rlhf_data, tmp_path, monkeypatch, read_jsonl
):
    from swift.arguments import RLHFArguments
    from swift.llm import rlhf_main

    log = tmp_path / "acme.jsonl"
    monkeypatch.setenv("ACME_LOG", str(log))
    fake_dist(
        "swift-acme-rl",
        entry_points={
            "swift.rewards": {"acme": "acme_rl.hooks"},
            "swift.schedulers": {"acme": "acme_rl.hooks"},
        },
        modules={"acme_rl/__init__.py": "", "acme_rl/hooks.py": HOOKS, "acme_rl/impl.py": IMPL},
    )
    kernel = make_kernel(strict=True)  # a kernel that scans the new dist-info
    assert kernel.registry("rewards").get("acme_exact").provider.distribution == "swift-acme-rl"

    result = rlhf_main(
        RLHFArguments(
            model=str(tiny_model_path),
            rlhf_type="grpo",
            dataset=[rlhf_data["prompts"]],
            output_dir=str(tmp_path / "out"),
            reward_funcs=["acme_exact"],
            multi_turn_scheduler="acme_retry",
            max_turns=3,
            num_generations=2,
            per_device_train_batch_size=2,
            max_completion_length=6,
            max_steps=2,
            save_steps=2,
            logging_steps=1,
            split_dataset_ratio=0.0,
            report_to=["none"],
        )
    )

    events = read_jsonl(log)
    rewards = [e for e in events if e["what"] == "reward"]
    assert len(rewards) == 2 and all(e["n"] == 2 and e["multi_turn"] for e in rewards)
    assert all(len(set(e["solution"])) == 1 for e in rewards)  # a group shares its prompt
    turns = sorted(e["turn"] for e in events if e["what"] == "check_finished")
    assert turns == [1, 1, 1, 1, 2, 2, 2, 2]
    assert [e["turn"] for e in events if e["what"] == "step"] == [1, 1, 1, 1]
    logs = [r for r in read_jsonl(Path(result["output_dir"]) / "logging.jsonl") if "loss" in r]
    assert len(logs) == 2 and all(math.isfinite(r["loss"]) for r in logs)
    assert all("rewards/acme_exact/mean" in r for r in logs)
