"""pytest classes that run the conformance checks against one plugin.

Subclass one in your plugin's tests and name your hooks module; pytest collects
the inherited tests, one per record of each family (tox's ``tox.pytest`` habit)::

    from swift_sdk.conformance import PluginConformance

    class TestAcmeConformance(PluginConformance):
        plugin = "swift_acme.hooks"
        distribution = "swift-acme"

Per-family classes (:class:`TunerConformance`, :class:`TemplateConformance` …)
run the shared checks plus only that family's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from swift_sdk.conformance.agents import check_agent_template, check_tool
from swift_sdk.conformance.commands import check_command, check_trainer
from swift_sdk.conformance.datasets import check_dataset
from swift_sdk.conformance.engines import check_engine
from swift_sdk.conformance.errors import CheckSkipped, ConformanceError
from swift_sdk.conformance.eval_backends import check_eval_backend
from swift_sdk.conformance.implementations import check_implementations_load
from swift_sdk.conformance.light import check_hooks_light
from swift_sdk.conformance.losses import check_loss
from swift_sdk.conformance.models import check_model
from swift_sdk.conformance.plugin import PluginUnderTest, check_records, load_plugin
from swift_sdk.conformance.rewards import check_reward
from swift_sdk.conformance.schedulers import check_scheduler
from swift_sdk.conformance.templates import check_template
from swift_sdk.conformance.tuners import check_tuner

_CACHE: dict[tuple, PluginUnderTest] = {}


def plugin_under_test(module: str, distribution: str | None = None) -> PluginUnderTest:
    """:func:`load_plugin`, cached per module, distribution and ``sys.path``."""
    key = (module, distribution, tuple(sys.path))
    if key not in _CACHE:
        _CACHE[key] = load_plugin(module, distribution=distribution)
    return _CACHE[key]


def for_family(family: str) -> Callable:
    """Mark a suite test as running once per record of ``family``."""

    def mark(test: Callable) -> Callable:
        test.swift_family = family
        return test

    return mark


def _run(check: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    try:
        check(*args, **kwargs)
    except CheckSkipped as exc:
        pytest.skip(exc.reason)


class BasicConformance:
    """The checks every plugin passes: it loads, its records are sound, its hooks are light.

    Attributes:
        plugin: Import name of the hooks module (``swift_acme.hooks``). Required.
        distribution: The distribution whose entry points list it; when set, the plugin
            must be installed and its entry-point groups must match its hooks.
        overrides: Names the plugin means to take over from a built-in or another plugin.
        skip: ``{record name: reason}`` for records that cannot be checked here (an
            engine that needs a GPU …); they are skipped with that reason.
    """

    plugin: ClassVar[str] = ""
    distribution: ClassVar[str | None] = None
    overrides: ClassVar[tuple[str, ...]] = ()
    skip: ClassVar[dict[str, str]] = {}

    def loaded(self) -> PluginUnderTest:
        """The plugin under test (loaded once per ``sys.path``)."""
        if not self.plugin:
            raise ConformanceError(type(self).__name__, "set plugin = 'your_package.hooks' on the class")
        return plugin_under_test(self.plugin, self.distribution)

    def pytest_generate_tests(self, metafunc: Any) -> None:
        """Parametrize each family's test with the plugin's record names."""
        family = getattr(metafunc.function, "swift_family", None)
        if family is None or "record_name" not in metafunc.fixturenames:
            return
        try:
            names = [r.name for r in self.loaded().of(family)]
        except ConformanceError as exc:  # reported by the basic tests; keep collection alive
            names, why = [], f"the plugin does not load: {exc}"
        else:
            why = f"{self.plugin} registers no {family}"
        params = [pytest.param(n, marks=pytest.mark.skip(reason=self.skip[n])) if n in self.skip else n for n in names]
        metafunc.parametrize("record_name", params or [pytest.param(None, marks=pytest.mark.skip(reason=why))])

    def test_plugin_loads_and_its_records_are_valid(self) -> None:
        """The plugin imports, its hooks yield valid records with unique names."""
        check_records(self.loaded(), overrides=self.overrides)

    def test_hooks_module_imports_nothing_heavy(self) -> None:
        """The hooks module (and argument modules) import no heavy library."""
        plugin = self.loaded()
        arguments = [r.arguments.partition(":")[0] for r in plugin.of("commands") if r.arguments]
        arguments += [r.load.partition(":")[0] for r in plugin.of("arguments")]
        check_hooks_light(self.plugin, also=arguments)

    def test_every_implementation_loads(self) -> None:
        """Every record's implementation imports and satisfies its family's Protocol."""
        check_implementations_load(self.loaded())


class ModelConformance(BasicConformance):
    """Model types: each loader loads a tiny checkpoint of its architecture.

    Attributes:
        model_dirs: ``{model type: checkpoint folder}`` for architectures transformers
            cannot build from a config alone.
    """

    model_dirs: ClassVar[dict[str, str]] = {}

    @for_family("models")
    def test_model(self, record_name: str) -> None:
        """Each model type loads a tiny checkpoint of its architecture."""
        _run(check_model, self.loaded(), record_name, self.model_dirs.get(record_name))


class TemplateConformance(BasicConformance):
    """Templates: assistant-only loss mask, prompts consistent with training."""

    @for_family("templates")
    def test_template(self, record_name: str) -> None:
        """Each template masks everything but the assistant's turns."""
        _run(check_template, self.loaded(), record_name)


class DatasetConformance(BasicConformance):
    """Datasets: rows load as trainable ``messages``.

    Attributes:
        dataset_samples: ``{format name: sample file}`` for ``kind="format"`` records.
        dataset_arguments: ``swift sft`` flags the loaders read, by keyword.
    """

    dataset_samples: ClassVar[dict[str, str]] = {}
    dataset_arguments: ClassVar[dict[str, Any]] = {}

    @for_family("datasets")
    def test_dataset(self, record_name: str) -> None:
        """Each dataset yields standardized rows."""
        sample = self.dataset_samples.get(record_name)
        _run(check_dataset, self.loaded(), record_name, sample, self.dataset_arguments)


class TunerConformance(BasicConformance):
    """Tuners: one training step, save → load with identical logits, merge."""

    @for_family("tuners")
    def test_tuner(self, record_name: str, tiny_model_path: Any) -> None:
        """Each tuner trains a step and round-trips save/load (and merge)."""
        _run(check_tuner, self.loaded(), record_name, str(tiny_model_path))


class LossConformance(BasicConformance):
    """Losses: a scalar that ignores -100 labels."""

    @for_family("losses")
    def test_loss(self, record_name: str) -> None:
        """Each loss trains only unmasked tokens."""
        _run(check_loss, self.loaded(), record_name)


class RewardConformance(BasicConformance):
    """Rewards: one float per completion.

    Attributes:
        reward_columns: Dataset columns the rewards read (``{"solution": ["4"]}``).
        reward_arguments: ``swift rlhf`` flags reward classes read, by keyword.
    """

    reward_columns: ClassVar[dict[str, list]] = {}
    reward_arguments: ClassVar[dict[str, Any]] = {}

    @for_family("rewards")
    def test_reward(self, record_name: str) -> None:
        """Each reward returns one float per completion."""
        _run(check_reward, self.loaded(), record_name, self.reward_columns, self.reward_arguments)


class SchedulerConformance(BasicConformance):
    """Multi-turn schedulers: ``check_finished`` and ``step`` types."""

    @for_family("schedulers")
    def test_scheduler(self, record_name: str) -> None:
        """Each scheduler answers check_finished with a bool and step with a request."""
        _run(check_scheduler, self.loaded(), record_name)


class AgentTemplateConformance(BasicConformance):
    """Tool formats (``--tools_prompt``): the tool list, calls written and read back."""

    @for_family("agent_templates")
    def test_agent_template(self, record_name: str) -> None:
        """Each tool format writes the tool list and reads back the calls it writes."""
        _run(check_agent_template, self.loaded(), record_name)


class ToolConformance(BasicConformance):
    """Tools (the functions the ``tool_call`` scheduler runs)."""

    @for_family("tools")
    def test_tool(self, record_name: str) -> None:
        """Each tool loads as a callable."""
        _run(check_tool, self.loaded(), record_name)


class AgentConformance(AgentTemplateConformance, ToolConformance):
    """Tool formats and tools."""


class EngineConformance(BasicConformance):
    """Engines: the protocol, streaming included, on the tiny model."""

    @for_family("engines")
    def test_engine(self, record_name: str, tiny_model_path: Any) -> None:
        """Each engine answers plainly and streamed."""
        _run(check_engine, self.loaded(), record_name, str(tiny_model_path))


class EvalBackendConformance(BasicConformance):
    """Evaluation backends: usage errors first, then a scored run against a served tiny model.

    Attributes:
        eval_datasets: ``{backend name: --eval_dataset entries}`` for backends that do not
            read ``swift eval``'s local jsonl formats (the default samples).
    """

    eval_datasets: ClassVar[dict[str, tuple[str, ...]]] = {}

    @for_family("eval_backends")
    def test_eval_backend(self, record_name: str, tiny_model_path: Any) -> None:
        """Each backend refuses an unknown dataset and scores the tiny model."""
        _run(check_eval_backend, self.loaded(), record_name, self.eval_datasets.get(record_name), str(tiny_model_path))


class TrainerConformance(BasicConformance):
    """Trainers: a known command and a ``run(args)`` entry."""

    @for_family("trainers")
    def test_trainer(self, record_name: str) -> None:
        """Each trainer belongs to a command and can be called as ``run(args)``."""
        _run(check_trainer, self.loaded(), record_name)


class CommandConformance(BasicConformance):
    """Commands: ``swift <name> --help`` works."""

    @for_family("commands")
    def test_command(self, record_name: str) -> None:
        """Each command's arguments build and its main is callable."""
        _run(check_command, self.loaded(), record_name)


class PluginConformance(
    ModelConformance,
    TemplateConformance,
    DatasetConformance,
    TunerConformance,
    LossConformance,
    RewardConformance,
    SchedulerConformance,
    AgentConformance,
    EngineConformance,
    EvalBackendConformance,
    TrainerConformance,
    CommandConformance,
):
    """Every check, for every family the plugin registers (the others are skipped)."""
