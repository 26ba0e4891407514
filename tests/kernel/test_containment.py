"""A broken plugin is reported in one stderr line and every other plugin keeps working."""

import pytest

from swift.kernel import PluginLoadError

GOOD = """
from swift.kernel import hookimpl, RewardRecord

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="good_reward", load="good_hooks:f")

def f(completions, **kw):
    return [1.0] * len(completions)
"""

MISSING_IMPORT = """
import definitely_not_installed_pkg
"""

MISSPELLED = """
from swift.kernel import hookimpl, RewardRecord

@hookimpl
def swift_register_reward():
    yield RewardRecord(name="never", load="x:y")
"""

UNDECORATED = """
from swift.kernel import RewardRecord

def swift_register_rewards():
    yield RewardRecord(name="never", load="x:y")
"""

RAISING = """
from swift.kernel import hookimpl

@hookimpl
def swift_register_rewards():
    raise RuntimeError("boom inside the hook")
    yield
"""

WRONG_TYPE = """
from swift.kernel import hookimpl, TunerRecord

@hookimpl
def swift_register_rewards():
    yield TunerRecord(name="wrong", load="x:y")
"""

BAD_LOAD = """
from swift.kernel import hookimpl, RewardRecord

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="badload", load="not a reference")
"""


@pytest.fixture
def with_good_and(fake_dist):
    def make(bad_source, module="bad_hooks"):
        fake_dist("swift-good", entry_points={"swift.rewards": {"good": "good_hooks"}}, modules={"good_hooks.py": GOOD})
        fake_dist("swift-bad", entry_points={"swift.rewards": {"bad": module}}, modules={f"{module}.py": bad_source})

    return make


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (MISSING_IMPORT, "definitely_not_installed_pkg"),
        (MISSPELLED, "did you mean swift_register_rewards"),
        (UNDECORATED, "not decorated with @swift.kernel.hookimpl"),
        (RAISING, "boom inside the hook"),
        (WRONG_TYPE, "must yield RewardRecord"),
        (BAD_LOAD, "package.module:attribute"),
    ],
    ids=["missing-import", "misspelled-hook", "undecorated-hook", "raising-hook", "wrong-record", "bad-load"],
)
def test_broken_plugin_is_reported_and_others_work(with_good_and, make_kernel, capsys, source, expected):
    with_good_and(source)
    kernel = make_kernel(strict=False)
    rewards = kernel.registry("rewards")
    assert rewards.load("good_reward")(["a", "b"]) == [1.0, 1.0]
    assert "never" not in rewards and "wrong" not in rewards and "badload" not in rewards
    bad = next(p for p in kernel.plugins() if p.name == "bad")
    assert bad.status == "failed"
    assert expected in bad.error
    assert bad.traceback
    err_lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err_lines) == 1
    assert err_lines[0].startswith("swift: plugin bad (swift-bad)") and expected in err_lines[0]


def test_strict_mode_raises_on_a_broken_plugin(with_good_and, make_kernel):
    with_good_and(MISSING_IMPORT)
    kernel = make_kernel(strict=True)
    with pytest.raises(PluginLoadError, match="definitely_not_installed_pkg"):
        kernel.registry("rewards")


def test_strict_mode_follows_the_environment(with_good_and, make_kernel, monkeypatch):
    with_good_and(RAISING)
    monkeypatch.setenv("SWIFT_PLUGINS_STRICT", "1")
    kernel = make_kernel()
    with pytest.raises(PluginLoadError, match="boom"):
        kernel.registry("rewards")


def test_failed_plugin_contributes_nothing_to_other_families(fake_dist, make_kernel):
    source = """
from swift.kernel import hookimpl, RewardRecord, TunerRecord

@hookimpl
def swift_register_tuners():
    yield TunerRecord(name="half_tuner", load="half_hooks:x")

@hookimpl
def swift_register_rewards():
    raise ValueError("rewards broken")
    yield
"""
    fake_dist(
        "swift-half",
        entry_points={"swift.rewards": {"half": "half_hooks"}, "swift.tuners": {"half": "half_hooks"}},
        modules={"half_hooks.py": source},
    )
    kernel = make_kernel(strict=False)
    assert "half_tuner" in kernel.registry("tuners")
    kernel.registry("rewards")
    assert "half_tuner" not in kernel.registry("tuners")


@pytest.mark.parametrize("disable", ["bad", "swift-bad"])
def test_disabled_plugin_is_not_imported(with_good_and, make_kernel, monkeypatch, disable):
    import sys

    with_good_and(GOOD.replace("good_reward", "other_reward").replace("good_hooks", "dis_hooks"), module="dis_hooks")
    monkeypatch.setenv("SWIFT_DISABLE_PLUGINS", f"something-else, {disable}")
    kernel = make_kernel(strict=True)
    assert "other_reward" not in kernel.registry("rewards")
    assert "good_reward" in kernel.registry("rewards")
    assert "dis_hooks" not in sys.modules
    assert next(p for p in kernel.plugins() if p.name == "bad").status == "disabled"
