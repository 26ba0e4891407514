"""Schedulers are records: ``--multi_turn_scheduler NAME`` resolves through the registry."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from swift.arguments import RLHFArguments, parse_args
from swift.kernel import UnknownNameError, UsageError, registry
from swift.scheduler import MultiTurnScheduler, load_scheduler, scheduler_from_args
from swift.scheduler.retry import RetryWrongAnswer

ROOT = Path(__file__).resolve().parents[2]

PLUGIN_FILE = """
from swift.kernel import SchedulerRecord, hookimpl
from swift.scheduler import MultiTurnScheduler

class Countdown(MultiTurnScheduler):
    def check_finished(self, request, choice, turn):
        return turn >= 2 or super().check_finished(request, choice, turn)

class NotAScheduler:
    def __init__(self, **kwargs):
        pass

@hookimpl
def swift_register_schedulers():
    yield SchedulerRecord(name="countdown", load=f"{__name__}:Countdown")
    yield SchedulerRecord(name="bogus", load=f"{__name__}:NotAScheduler")
"""


def grpo_args(*flags: str) -> RLHFArguments:
    return parse_args(RLHFArguments, ["--model", "m", "--rlhf_type", "grpo", *flags])


def test_the_builtin_schedulers_are_registered(kernel):
    assert {"default", "retry_wrong"} <= set(registry("schedulers").names())


def test_the_command_line_flags_pick_the_scheduler_and_its_max_turns(kernel):
    scheduler = scheduler_from_args(grpo_args("--multi_turn_scheduler", "retry_wrong", "--max_turns", "2"))
    assert isinstance(scheduler, RetryWrongAnswer) and scheduler.max_turns == 2
    assert scheduler.args.rlhf_type == "grpo"
    default = scheduler_from_args(grpo_args("--multi_turn_scheduler", "default"))
    assert type(default) is MultiTurnScheduler and default.max_turns is None


def test_no_scheduler_flag_means_single_turn(kernel):
    assert scheduler_from_args(grpo_args()) is None


def test_a_misspelled_scheduler_suggests_the_right_one(kernel):
    with pytest.raises(UnknownNameError, match="Did you mean 'retry_wrong'"):
        scheduler_from_args(grpo_args("--multi_turn_scheduler", "retry_wrnog"))


def test_a_scheduler_from_a_plugin_file_is_found(make_kernel, tmp_path):
    path = tmp_path / "countdown.py"
    path.write_text(PLUGIN_FILE)
    make_kernel(use_entry_points=False, strict=True, external_plugins=[str(path)])
    scheduler = load_scheduler("countdown", max_turns=9)
    assert isinstance(scheduler, MultiTurnScheduler) and scheduler.max_turns == 9
    with pytest.raises(UsageError, match="'bogus' is NotAScheduler, which has no check_finished/step"):
        load_scheduler("bogus")


def test_a_scheduler_from_an_installed_distribution_is_found(make_kernel, fake_dist):
    fake_dist(
        "swift-countdown",
        entry_points={"swift.schedulers": {"countdown": "countdown_hooks"}},
        modules={"countdown_hooks.py": PLUGIN_FILE.replace("{__name__}", "countdown_hooks")},
    )
    make_kernel(strict=True, disabled=set())
    assert registry("schedulers").get("countdown").provider.distribution == "swift-countdown"
    assert type(load_scheduler("countdown")).__name__ == "Countdown"


HEAVY = ("torch", "transformers", "trl", "math_verify", "sympy", "numpy")
PROBE = f"""
import json, sys
import swift.scheduler, swift.builtins.schedulers
from swift.kernel import Kernel, set_kernel
set_kernel(Kernel(use_entry_points=False, strict=True))
swift.scheduler.load_scheduler("retry_wrong")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})))
"""


def test_importing_the_schedulers_loads_no_heavy_library():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_plugin_guide_example_runs(tmp_path):
    doc = (ROOT / "docs" / "plugins" / "schedulers.md").read_text(encoding="utf-8")
    plugin, usage = re.findall(r"```python\n(.*?)```", doc, flags=re.S)[-2:]
    (tmp_path / "calc_scheduler.py").write_text(plugin, encoding="utf-8")
    env = {**os.environ, "SWIFT_PLUGINS_STRICT": "1"}
    out = subprocess.run([sys.executable, "-c", usage], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout == re.search(r"prints:\n\n```text\n(.*?)```", doc, flags=re.S).group(1)
