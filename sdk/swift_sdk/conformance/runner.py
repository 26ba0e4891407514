"""Run every conformance check on a plugin outside pytest (scripts, notebooks, CI steps)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from swift_sdk.conformance.agents import check_agent_template, check_tool
from swift_sdk.conformance.commands import check_command, check_trainer
from swift_sdk.conformance.datasets import check_dataset
from swift_sdk.conformance.engines import check_engine
from swift_sdk.conformance.errors import CheckSkipped
from swift_sdk.conformance.eval_backends import check_eval_backend
from swift_sdk.conformance.implementations import check_implementations_load
from swift_sdk.conformance.light import check_hooks_light
from swift_sdk.conformance.losses import check_loss
from swift_sdk.conformance.models import check_model
from swift_sdk.conformance.plugin import check_records, load_plugin
from swift_sdk.conformance.rewards import check_reward
from swift_sdk.conformance.schedulers import check_scheduler
from swift_sdk.conformance.templates import check_template
from swift_sdk.conformance.tuners import check_tuner


def check_plugin_module(
    module: str,
    *,
    distribution: str | None = None,
    overrides: Sequence[str] = (),
    model_dir: str | None = None,
    reward_columns: Mapping[str, Sequence[Any]] | None = None,
    dataset_samples: Mapping[str, str] | None = None,
    reward_arguments: Mapping[str, Any] | None = None,
    dataset_arguments: Mapping[str, Any] | None = None,
    eval_datasets: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, str]:
    """Run the shared checks and each record's family check; stop at the first failure.

    Args:
        module: Import name of the hooks module (``swift_acme.hooks``).
        distribution: Its distribution, when it must be installed.
        overrides: Names it means to take over from others.
        model_dir: Checkpoint for tuner and engine checks (default: a tiny Qwen3).
        reward_columns: Dataset columns its rewards read.
        dataset_samples: Sample files of its dataset formats.
        reward_arguments: ``swift rlhf`` flags its reward classes read, by keyword.
        dataset_arguments: ``swift sft`` flags its dataset loaders read, by keyword.
        eval_datasets: ``--eval_dataset`` entries of its evaluation backends (default: sample files).

    Returns:
        ``{"check": "passed" | "skipped: <reason>"}`` — e.g. ``{"records": "passed",
        "tuners:acme-lora": "passed", "models:acme": "skipped: …"}``.

    Raises:
        ConformanceError: The first broken contract, naming the plugin and record.

    Example::

        from swift_sdk.conformance import check_plugin_module
        print(check_plugin_module("swift_acme.hooks", distribution="swift-acme"))
    """
    plugin = load_plugin(module, distribution=distribution)
    results = {}
    check_records(plugin, overrides=overrides)
    results["records"] = "passed"
    light = [r.arguments.partition(":")[0] for r in plugin.of("commands") if r.arguments]
    light += [r.load.partition(":")[0] for r in plugin.of("arguments")]
    check_hooks_light(module, also=light)
    results["light hooks module"] = "passed"
    check_implementations_load(plugin)
    results["implementations load"] = "passed"
    family_checks = {
        "models": lambda name: check_model(plugin, name),
        "templates": lambda name: check_template(plugin, name),
        "agent_templates": lambda name: check_agent_template(plugin, name),
        "tools": lambda name: check_tool(plugin, name),
        "datasets": lambda name: check_dataset(plugin, name, (dataset_samples or {}).get(name), dataset_arguments),
        "tuners": lambda name: check_tuner(plugin, name, model_dir),
        "losses": lambda name: check_loss(plugin, name),
        "rewards": lambda name: check_reward(plugin, name, reward_columns, reward_arguments),
        "schedulers": lambda name: check_scheduler(plugin, name),
        "engines": lambda name: check_engine(plugin, name, model_dir),
        "eval_backends": lambda name: check_eval_backend(plugin, name, (eval_datasets or {}).get(name), model_dir),
        "trainers": lambda name: check_trainer(plugin, name),
        "commands": lambda name: check_command(plugin, name),
    }
    for family, check in family_checks.items():
        for record in plugin.of(family):
            try:
                check(record.name)
            except CheckSkipped as exc:
                results[f"{family}:{record.name}"] = f"skipped: {exc.reason}"
            else:
                results[f"{family}:{record.name}"] = "passed"
    return results
