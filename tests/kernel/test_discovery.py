"""Entry-point discovery: plugins found through fake dist-info folders, nothing installed."""

import sys

import pytest

from swift.kernel import RewardRecord, TunerRecord, hookimpl
from swift.kernel.lazy import ImplementationLoadError

REWARD_HOOKS = """
from swift.kernel import hookimpl, RewardRecord

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="{name}", load="{module}:score", summary="counts words")

def score(completions, **kwargs):
    return [float(len(c.split())) for c in completions]
"""

MULTI_HOOKS = """
from swift.kernel import hookimpl, RewardRecord, TunerRecord

IMPORTS = []
IMPORTS.append(1)

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="multi_reward", load="multi_hooks:fn")

@hookimpl
def swift_register_tuners():
    yield TunerRecord(name="multi_tuner", load="multi_hooks:fn")

def fn(*args, **kwargs):
    return [1.0]
"""


def test_entry_point_plugin_is_discovered_with_provenance(fake_dist, swift_kernel):
    fake_dist(
        "swift-wordcount",
        "1.2.3",
        entry_points={"swift.rewards": {"wordcount": "wc_hooks"}},
        modules={"wc_hooks.py": REWARD_HOOKS.format(name="wordcount", module="wc_hooks")},
    )
    record = swift_kernel.registry("rewards").get("wordcount")
    assert isinstance(record, RewardRecord)
    assert record.provider.plugin == "wordcount"
    assert record.provider.distribution == "swift-wordcount"
    assert record.provider.version == "1.2.3"
    score = swift_kernel.registry("rewards").load("wordcount")
    assert score(["a b c", "d"]) == [3.0, 1.0]


def test_module_listed_under_two_groups_is_registered_once(fake_dist, swift_kernel):
    fake_dist(
        "swift-multi",
        entry_points={"swift.rewards": {"multi": "multi_hooks"}, "swift.tuners": {"multi": "multi_hooks"}},
        modules={"multi_hooks.py": MULTI_HOOKS},
    )
    assert "multi_reward" in swift_kernel.registry("rewards")
    assert "multi_tuner" in swift_kernel.registry("tuners")
    assert sys.modules["multi_hooks"].IMPORTS == [1]
    infos = [p for p in swift_kernel.plugins() if p.source.target == "multi_hooks"]
    assert len(infos) == 1
    assert infos[0].source.groups == {"swift.rewards", "swift.tuners"}
    assert infos[0].provides == {"rewards": ["multi_reward"], "tuners": ["multi_tuner"]}


def test_a_plugin_contributes_only_to_the_groups_it_joined(fake_dist, swift_kernel):
    fake_dist(
        "swift-multi",
        entry_points={"swift.rewards": {"multi": "multi_hooks"}},
        modules={"multi_hooks.py": MULTI_HOOKS},
    )
    assert "multi_reward" in swift_kernel.registry("rewards")
    assert "multi_tuner" not in swift_kernel.registry("tuners")


def test_only_the_groups_a_command_needs_are_imported(fake_dist, swift_kernel):
    fake_dist(
        "swift-lazy",
        entry_points={"swift.tuners": {"lazy": "lazy_tuner_hooks"}},
        modules={"lazy_tuner_hooks.py": "from swift.kernel import hookimpl\n"},
    )
    swift_kernel.registry("rewards")
    assert "lazy_tuner_hooks" not in sys.modules
    swift_kernel.registry("tuners")
    assert "lazy_tuner_hooks" in sys.modules


def test_object_registered_in_process_contributes_to_every_family(swift_kernel):
    class Plugin:
        @hookimpl
        def swift_register_tuners(self):
            yield TunerRecord(name="inproc", load="builtins:dict")

    swift_kernel.register(Plugin(), "inproc-plugin")
    assert swift_kernel.registry("tuners").load("inproc") is dict


def test_alias_resolves_to_the_record(swift_kernel):
    class Plugin:
        @hookimpl
        def swift_register_tuners(self):
            yield TunerRecord(name="lora-x", load="builtins:dict", aliases=("lx",))

    swift_kernel.register(Plugin(), "aliased")
    assert swift_kernel.registry("tuners").get("lx").name == "lora-x"
    assert swift_kernel.registry("tuners").get("LORA-X").name == "lora-x"


def test_lazy_load_error_names_the_reference(swift_kernel):
    class Plugin:
        @hookimpl
        def swift_register_tuners(self):
            yield TunerRecord(name="ghost", load="no_such_module_xyz:Thing")

    swift_kernel.register(Plugin(), "ghostly")
    with pytest.raises(ImplementationLoadError, match="no_such_module_xyz"):
        swift_kernel.registry("tuners").load("ghost")
