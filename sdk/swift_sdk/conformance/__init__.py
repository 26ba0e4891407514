"""Conformance suites: point them at your plugin and they check it keeps swift's contracts.

In your plugin's tests (pytest collects one test per record and family)::

    from swift_sdk.conformance import PluginConformance

    class TestAcmeConformance(PluginConformance):
        plugin = "swift_acme.hooks"        # the hooks module your entry points name
        distribution = "swift-acme"        # checks the installed entry points too

Or call the checks yourself::

    from swift_sdk.conformance import check_plugin_module, check_tuner, load_plugin
    check_plugin_module("swift_acme.hooks")                 # everything, {check: result}
    check_tuner(load_plugin("swift_acme.hooks"), "acme-lora")

Every failure is a :class:`ConformanceError` (an ``AssertionError``) naming the
plugin, the record and what is wrong.
"""

from swift_sdk.conformance.agents import check_agent_template, check_loss_scale, check_tool
from swift_sdk.conformance.commands import check_command, check_trainer
from swift_sdk.conformance.datasets import check_dataset
from swift_sdk.conformance.engines import check_engine
from swift_sdk.conformance.errors import CheckSkipped, ConformanceError
from swift_sdk.conformance.eval_backends import check_eval_backend
from swift_sdk.conformance.implementations import check_implementations_load
from swift_sdk.conformance.light import HEAVY_MODULES, check_hooks_light, heavy_imports
from swift_sdk.conformance.losses import check_loss
from swift_sdk.conformance.models import check_model
from swift_sdk.conformance.plugin import PluginUnderTest, check_records, load_plugin
from swift_sdk.conformance.rewards import check_reward
from swift_sdk.conformance.runner import check_plugin_module
from swift_sdk.conformance.schedulers import check_scheduler
from swift_sdk.conformance.suite import (
    AgentConformance,
    AgentTemplateConformance,
    BasicConformance,
    CommandConformance,
    DatasetConformance,
    EngineConformance,
    EvalBackendConformance,
    LossConformance,
    ModelConformance,
    PluginConformance,
    RewardConformance,
    SchedulerConformance,
    TemplateConformance,
    ToolConformance,
    TrainerConformance,
    TunerConformance,
)
from swift_sdk.conformance.templates import check_template
from swift_sdk.conformance.tuners import check_tuner

__all__ = [
    "HEAVY_MODULES",
    "AgentConformance",
    "AgentTemplateConformance",
    "BasicConformance",
    "CheckSkipped",
    "CommandConformance",
    "ConformanceError",
    "DatasetConformance",
    "EngineConformance",
    "EvalBackendConformance",
    "LossConformance",
    "ModelConformance",
    "PluginConformance",
    "PluginUnderTest",
    "RewardConformance",
    "SchedulerConformance",
    "TemplateConformance",
    "ToolConformance",
    "TrainerConformance",
    "TunerConformance",
    "check_agent_template",
    "check_command",
    "check_dataset",
    "check_engine",
    "check_eval_backend",
    "check_hooks_light",
    "check_implementations_load",
    "check_loss",
    "check_loss_scale",
    "check_model",
    "check_plugin_module",
    "check_records",
    "check_reward",
    "check_scheduler",
    "check_template",
    "check_tool",
    "check_trainer",
    "check_tuner",
    "heavy_imports",
    "load_plugin",
]
