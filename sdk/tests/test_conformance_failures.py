"""The conformance suite fails broken plugins with a message naming the plugin, the record and the fault.

Each broken sample is a fake installed distribution (``fake_dist``) whose hooks
module makes one classic mistake.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from swift_sdk.conformance import (
    ConformanceError,
    check_hooks_light,
    check_loss,
    check_records,
    check_reward,
    check_scheduler,
    check_template,
    check_tuner,
    load_plugin,
)


def install(fake_dist, name: str, groups: list[str], source: str):
    """A fake ``swift-<name>`` whose hooks module ``<name>_hooks`` is listed under ``groups``."""
    module = f"{name}_hooks"
    fake_dist(
        f"swift-{name}",
        entry_points={f"swift.{g}": {name: module} for g in groups},
        modules={f"{module}.py": source},
    )
    return module


HEAVY = """
import torch
from swift.kernel import RewardRecord, hookimpl

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="heavy_reward", load="heavy_hooks:reward")

def reward(completions, **columns):
    return [0.0] * len(completions)
"""


def test_a_hooks_module_importing_torch_is_named_with_the_line(fake_dist):
    module = install(fake_dist, "heavy", ["rewards"], HEAVY)

    with pytest.raises(ConformanceError) as caught:
        check_hooks_light(module)

    message = str(caught.value)
    assert message.startswith("plugin heavy_hooks:")
    assert "imports torch (imported at " in message and "heavy_hooks.py:2)" in message


FORGETFUL = """
from swift.kernel import TunerRecord, hookimpl
from swift_peft.api import LoraTuner

@hookimpl
def swift_register_tuners():
    yield TunerRecord(name="forgetful", load="forgetful_hooks:FORGETFUL")

class Forgetful(LoraTuner):
    def prepare(self, model, args, *, total_steps=None):
        model = super().prepare(model, args, total_steps=total_steps)
        self.initial = {k: v.clone() for k, v in model.state_dict().items() if "lora_" in k}
        return model

    def save(self, model, output_dir, **kwargs):
        # the bug: writes the adapter as it was before training
        model.save_pretrained(output_dir, state_dict=self.initial)

FORGETFUL = Forgetful()
"""


def test_a_tuner_whose_save_loses_the_trained_weights_fails(fake_dist, tiny_model_path):
    module = install(fake_dist, "forgetful", ["tuners"], FORGETFUL)

    with pytest.raises(ConformanceError, match=r"tuner 'forgetful': after save\(\) and load\(\)") as caught:
        check_tuner(load_plugin(module), "forgetful", str(tiny_model_path))

    assert "answers like the untrained base model" in str(caught.value)
    assert str(caught.value).startswith("plugin forgetful_hooks (swift-forgetful)")


LEAKY_TEMPLATE = """
from swift.kernel import TemplateRecord, hookimpl
from swift.template import Template, TemplateMeta

META = TemplateMeta(name="leaky", user="<|user|>{content}<|end|>", assistant_prefix="<|assistant|>",
                    assistant="{content}<|end|>", stop_words=("<|end|>",))

@hookimpl
def swift_register_templates():
    yield TemplateRecord(name="leaky", load="leaky_hooks:leaky")

def leaky(tokenizer, **options):
    options["loss_scale"] = "all"  # the bug: every token is trained, user turns included
    return Template(META, tokenizer, **options)
"""


def test_a_template_that_trains_on_user_tokens_fails(fake_dist):
    module = install(fake_dist, "leaky", ["templates"], LEAKY_TEMPLATE)

    with pytest.raises(ConformanceError, match=r"template 'leaky': encode\(\) trains on 'Name a colour please'"):
        check_template(load_plugin(module), "leaky")


MEDIA_TEMPLATE = """
from swift.kernel import TemplateRecord, hookimpl
from swift.template import Template, TemplateMeta

META = TemplateMeta(name="deaf", user="<|user|>{content}<|end|>", assistant_prefix="<|assistant|>",
                    assistant="{content}<|end|>", stop_words=("<|end|>",))

@hookimpl
def swift_register_templates():
    yield TemplateRecord(name="deaf", load="deaf_hooks:deaf")

class Deaf(Template):
    def encode_prompt_media(self, messages, **kwargs):
        return {"input_ids": [], "expanded_ids": [], "media": {}}  # the bug: the prompt is lost

def deaf(tokenizer, **options):
    return Deaf(META, tokenizer, **options)
"""


def test_a_media_prompt_encoder_that_loses_the_prompt_fails(fake_dist):
    module = install(fake_dist, "deaf", ["templates"], MEDIA_TEMPLATE)

    with pytest.raises(ConformanceError, match=r"template 'deaf': encode_prompt_media of a conversation without media"):
        check_template(load_plugin(module), "deaf")


SHORT_REWARD = """
from swift.kernel import RewardRecord, hookimpl

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="one_score", load="short_hooks:one_score")

def one_score(completions, **columns):
    return [1.0]  # the bug: one float for the whole batch
"""


def test_a_reward_returning_the_wrong_number_of_floats_fails(fake_dist):
    module = install(fake_dist, "short", ["rewards"], SHORT_REWARD)

    with pytest.raises(
        ConformanceError,
        match=r"reward 'one_score': scoring 3 completion\(s\) failed: .*returned 1 values for 3 completions",
    ):
        check_reward(load_plugin(module), "one_score")


DUPLICATE = """
from swift.kernel import RewardRecord, hookimpl

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="twice", load="dup_hooks:reward")
    yield RewardRecord(name="twice", load="dup_hooks:reward")

def reward(completions, **columns):
    return [0.0] * len(completions)
"""


def test_duplicate_record_names_fail_the_plugin(fake_dist):
    module = install(fake_dist, "dup", ["rewards"], DUPLICATE)

    with pytest.raises(
        ConformanceError,
        match=r"plugin dup_hooks: broke in swift_register_rewards: .*yields 'twice' twice",
    ):
        load_plugin(module)


ALIASED = """
from swift.kernel import RewardRecord, hookimpl

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="brief", load="alias_hooks:reward", aliases=("short",))
    yield RewardRecord(name="short", load="alias_hooks:reward")

def reward(completions, **columns):
    return [0.0] * len(completions)
"""


def test_an_alias_repeating_another_records_name_fails(fake_dist):
    module = install(fake_dist, "alias", ["rewards"], ALIASED)

    with pytest.raises(ConformanceError, match=r"reward 'short': the name 'short' is used twice in rewards"):
        check_records(load_plugin(module))


def _reward_plugin(name: str, reward: str) -> str:
    return f"""
from swift.kernel import RewardRecord, hookimpl

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="{reward}", load="{name}_hooks:reward")

def reward(completions, **columns):
    return [0.0] * len(completions)
"""


def test_a_name_taken_by_a_builtin_fails_unless_declared_as_an_override(fake_dist):
    module = install(fake_dist, "takeover", ["rewards"], _reward_plugin("takeover", "accuracy"))
    plugin = load_plugin(module)

    with pytest.raises(
        ConformanceError,
        match=r"reward 'accuracy': the name 'accuracy' is already provided by swift's built-in 'accuracy'",
    ):
        check_records(plugin)
    check_records(plugin, overrides=("accuracy",))


def test_a_name_two_installed_plugins_register_names_the_other_distribution(fake_dist):
    install(fake_dist, "first", ["rewards"], _reward_plugin("first", "shared_reward"))
    module = install(fake_dist, "second", ["rewards"], _reward_plugin("second", "shared_reward"))

    with pytest.raises(ConformanceError, match=r"'shared_reward' is already provided by swift-first 0.1.0"):
        check_records(load_plugin(module))


MISSPELLED = """
from swift.kernel import RewardRecord, hookimpl

@hookimpl
def swift_register_reward():
    yield RewardRecord(name="typo", load="typo_hooks:reward")
"""


def test_a_misspelled_hook_is_reported_with_the_right_name(fake_dist):
    module = install(fake_dist, "typo", ["rewards"], MISSPELLED)

    with pytest.raises(
        ConformanceError,
        match=r"unknown hook swift_register_reward \(did you mean swift_register_rewards\?\)",
    ):
        load_plugin(module)


NO_GROUP = """
from swift.kernel import RewardRecord, SchedulerRecord, hookimpl

@hookimpl
def swift_register_schedulers():
    yield SchedulerRecord(name="listed", load="swift.scheduler:MultiTurnScheduler")

@hookimpl
def swift_register_rewards():  # pyproject lists only swift.schedulers: swift never calls this
    yield RewardRecord(name="forgotten", load="nogroup_hooks:reward")
"""


def test_a_hook_without_its_entry_point_group_is_reported(fake_dist):
    module = install(fake_dist, "nogroup", ["schedulers"], NO_GROUP)

    with pytest.raises(
        ConformanceError,
        match=r"implements swift_register_rewards but its distribution lists no 'swift.rewards' entry point",
    ):
        check_records(load_plugin(module))


def test_a_module_that_is_not_installed_is_reported_when_a_distribution_is_expected(fake_dist):
    with pytest.raises(ConformanceError, match=r"no installed distribution lists it .* expected swift-ghost"):
        load_plugin("ghost_hooks", distribution="swift-ghost")


LEAKY_LOSS = """
import torch.nn.functional as F
from swift.kernel import LossRecord, hookimpl

@hookimpl
def swift_register_losses():
    yield LossRecord(name="unmasked", load="unmasked_hooks:loss")

def loss(outputs, labels, num_items_in_batch=None, **kwargs):
    logits = outputs["logits"][:, :-1]
    targets = labels[:, 1:].clamp(min=0)  # the bug: -100 becomes token 0 and is trained
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
"""


def test_a_loss_that_trains_masked_tokens_fails(fake_dist):
    module = install(fake_dist, "unmasked", ["losses"], LEAKY_LOSS)

    with pytest.raises(ConformanceError, match=r"loss 'unmasked': logits whose label is -100 get gradient"):
        check_loss(load_plugin(module), "unmasked")


MAYBE = """
from swift.kernel import SchedulerRecord, hookimpl
from swift.scheduler import MultiTurnScheduler

@hookimpl
def swift_register_schedulers():
    yield SchedulerRecord(name="maybe", load="maybe_hooks:Maybe")

class Maybe(MultiTurnScheduler):
    def check_finished(self, request, choice, turn):
        return "maybe"  # the bug: not a bool
"""


def test_a_scheduler_answering_check_finished_with_a_string_fails(fake_dist):
    module = install(fake_dist, "maybe", ["schedulers"], MAYBE)

    with pytest.raises(ConformanceError, match=r"scheduler 'maybe': check_finished\(\) returned 'maybe'"):
        check_scheduler(load_plugin(module), "maybe")


def test_the_pytest_suite_reports_the_failing_record_by_name(fake_dist, tmp_path):
    root = fake_dist(
        "swift-short",
        entry_points={"swift.rewards": {"short": "short_hooks"}},
        modules={"short_hooks.py": SHORT_REWARD},
    )
    suite = tmp_path / "suite" / "test_short.py"
    suite.parent.mkdir()
    suite.write_text(
        "from swift_sdk.conformance import PluginConformance\n\n"
        "class TestShort(PluginConformance):\n    plugin = 'short_hooks'\n    distribution = 'swift-short'\n"
    )
    env = {**__import__("os").environ, "PYTHONPATH": str(root)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(suite),
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(suite.parent),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=suite.parent,
    )

    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "FAILED test_short.py::TestShort::test_reward[one_score]" in proc.stdout
    assert "3 passed" in proc.stdout and "1 failed" in proc.stdout


ASYNC_REWARD = """
import asyncio

from swift.kernel import RewardRecord, hookimpl

@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="slow_judge", load="judge_hooks:slow_judge")
    yield RewardRecord(name="lazy_judge", load="judge_hooks:lazy_judge")

async def slow_judge(completions, **columns):
    await asyncio.sleep(0)
    return [float("4" in c) for c in completions]

async def lazy_judge(completions, **columns):
    await asyncio.sleep(0)
    return [0.5]  # the bug: one score, whatever the batch
"""


def test_async_rewards_are_awaited_and_held_to_the_same_count(fake_dist):
    plugin = load_plugin(install(fake_dist, "judge", ["rewards"], ASYNC_REWARD))

    check_reward(plugin, "slow_judge")
    with pytest.raises(ConformanceError, match=r"reward 'lazy_judge': .*returned 1 values for 3"):
        check_reward(plugin, "lazy_judge")


HALF_ENGINE = """
from swift.kernel import EngineRecord, hookimpl

@hookimpl
def swift_register_engines():
    yield EngineRecord(name="half", load="half_hooks:HalfEngine")

class HalfEngine:
    # the bug: no infer_async, no close — swift deploy would break on the first request
    def __init__(self, args):
        self.model_name, self.adapter_names = "m", ()

    def infer(self, requests, request_config=None, *, adapter=None):
        return []
"""

OLD_TUNER = """
from swift.kernel import TunerRecord, hookimpl

@hookimpl
def swift_register_tuners():
    yield TunerRecord(name="old", load="old_hooks:OLD", mergeable=False)

class Old:
    # the bug: prepare() without the total_steps keyword trainers pass
    def prepare(self, model, args):
        return model

    def save(self, model, output_dir, **kwargs):
        pass

    def load(self, model, adapter_dir, *, is_trainable=False, adapter_name="default"):
        return model

OLD = Old()
"""


def test_an_engine_missing_protocol_methods_is_named_with_what_is_missing(fake_dist):
    from swift_sdk.conformance import check_implementations_load

    module = install(fake_dist, "half", ["engines"], HALF_ENGINE)

    with pytest.raises(ConformanceError, match=r"swift\.protocol\.engine\.InferEngine: missing infer_async, close"):
        check_implementations_load(load_plugin(module))


def test_a_tuner_whose_prepare_takes_no_total_steps_breaks_the_contract(fake_dist):
    from swift_sdk.conformance import check_implementations_load

    module = install(fake_dist, "old", ["tuners"], OLD_TUNER)

    with pytest.raises(ConformanceError, match=r"prepare\(\) must accept the keyword total_steps"):
        check_implementations_load(load_plugin(module))
