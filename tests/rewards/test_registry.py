"""Rewards are records: found by name, extended by plugins, light to import."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from swift.kernel import UnknownNameError, UsageError, registry
from swift.rewards import call_reward, combine_rewards, load_reward

ROOT = Path(__file__).resolve().parents[2]

PLUGIN_FILE = """
from swift.kernel import RewardRecord, hookimpl

def shouting(completions, **kwargs):
    return [float(str(c).isupper()) for c in completions]

class Bonus:
    def __init__(self, args=None):
        self.bonus = getattr(args, "bonus", 0.5)
    def __call__(self, completions, **kwargs):
        return [self.bonus] * len(completions)

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="shouting", load=f"{__name__}:shouting", aliases=("caps",))
    yield RewardRecord(name="bonus", load=f"{__name__}:Bonus")
    yield RewardRecord(name="acme-rm", load=f"{__name__}:Bonus", kind="model",
                       summary="A reward model")
"""


def test_the_builtin_rewards_are_registered_as_functions(kernel):
    records = {r.name: r for r in registry("rewards")}
    assert set(records) >= {"accuracy", "format", "cosine", "repetition", "soft_overlong"}
    assert {r.kind for r in records.values()} == {"function"}
    assert all(r.provider.is_builtin for r in records.values())


def test_a_misspelled_reward_suggests_the_right_one(kernel):
    with pytest.raises(UnknownNameError, match="Did you mean 'accuracy'") as err:
        registry("rewards").get("acuracy")
    assert "soft_overlong" in str(err.value)
    with pytest.raises(UnknownNameError, match="Did you mean 'accuracy'"):
        combine_rewards(["acuracy"], None, ["x"], solution=["1"])


def test_a_reward_from_a_plugin_file_is_found_and_called(make_kernel, tmp_path):
    path = tmp_path / "acme_rewards.py"
    path.write_text(PLUGIN_FILE)
    make_kernel(use_entry_points=False, strict=True, external_plugins=[str(path)])
    assert registry("rewards").get("caps").name == "shouting"
    assert call_reward("caps", ["LOUD", "quiet"]) == [1.0, 0.0]

    class Args:
        bonus = 2.0

    per_reward, totals = combine_rewards(["shouting", "bonus", "format"], [1, 1, 3], ["LOUD"], args=Args())
    assert per_reward == [[1.0, 2.0, 0.0]] and totals == [3.0]


def test_a_reward_model_is_refused_where_a_function_is_needed(make_kernel, tmp_path):
    path = tmp_path / "acme_rewards.py"
    path.write_text(PLUGIN_FILE)
    make_kernel(use_entry_points=False, strict=True, external_plugins=[str(path)])
    assert registry("rewards").get("acme-rm").kind == "model"
    with pytest.raises(UsageError, match="'acme-rm' is a reward model.*--reward_model acme-rm"):
        load_reward("acme-rm")


def test_a_reward_from_an_installed_distribution_is_found(make_kernel, fake_dist):
    fake_dist(
        "swift-acme-rewards",
        entry_points={"swift.rewards": {"acme": "acme_reward_hooks"}},
        modules={"acme_reward_hooks.py": PLUGIN_FILE.replace("{__name__}", "acme_reward_hooks")},
    )
    make_kernel(strict=True, disabled=set())
    record = registry("rewards").get("shouting")
    assert record.provider.distribution == "swift-acme-rewards"
    assert call_reward("shouting", ["YES"]) == [1.0]


def test_a_plugin_reward_overrides_the_builtin_of_the_same_name(make_kernel, tmp_path):
    path = tmp_path / "better_format.py"
    path.write_text(
        "from swift.kernel import RewardRecord, hookimpl\n"
        "def lenient(completions, **kwargs):\n    return [1.0] * len(completions)\n"
        "@hookimpl\ndef swift_register_rewards():\n"
        "    yield RewardRecord(name='format', load=f'{__name__}:lenient')\n"
    )
    make_kernel(use_entry_points=False, strict=True, external_plugins=[str(path)])
    assert call_reward("format", ["no tags at all"]) == [1.0]


HEAVY = ("torch", "transformers", "trl", "math_verify", "sympy", "latex2sympy2_extended", "numpy")
PROBE = f"""
import json, sys
import swift.rewards, swift.builtins.rewards
from swift.kernel import Kernel, set_kernel
set_kernel(Kernel(use_entry_points=False, strict=True))
from swift.rewards import combine_rewards, CosineReward, SoftOverlong, RepetitionPenalty
before = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
combine_rewards(["format", "repetition", "soft_overlong"], None, ["<think></think><answer>1</answer>"],
                args=type("A", (), {{"soft_cache_length": 4}})(), completion_ids=[[1, 2]])
middle = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
combine_rewards(["accuracy"], None, ["\\\\boxed{{1}}"], solution=["1"])
after = "math_verify" in sys.modules
print(json.dumps([before, middle, after]))
"""


def test_rewards_import_nothing_heavy_and_math_verify_only_when_accuracy_runs():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    before, middle, after = json.loads(out.stdout.strip().splitlines()[-1])
    assert before == [] and middle == []
    assert after is True


def test_accuracy_without_math_verify_says_how_to_install_it():
    probe = (
        "import sys; sys.modules['math_verify'] = None\n"  # makes `import math_verify` fail
        "from swift.rewards import accuracy\n"
        "try:\n    accuracy(['1'], solution=['1'])\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "MissingProviderError" in out.stdout
    assert "pip install math-verify" in out.stdout


def test_the_plugin_guide_example_runs(tmp_path):
    doc = (ROOT / "docs" / "plugins" / "rewards.md").read_text(encoding="utf-8")
    plugin, usage = re.findall(r"```python\n(.*?)```", doc, flags=re.S)[-2:]
    (tmp_path / "acme_rewards.py").write_text(plugin, encoding="utf-8")
    env = {**os.environ, "SWIFT_PLUGINS_STRICT": "1"}
    out = subprocess.run([sys.executable, "-c", usage], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout == re.search(r"prints:\n\n```text\n(.*?)```", doc, flags=re.S).group(1)
