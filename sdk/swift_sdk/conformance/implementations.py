"""Every record's implementation imports and satisfies its family's Protocol (:mod:`swift.contracts`).

A model type's default template must exist too.
"""

from __future__ import annotations

from typing import Any

from swift import contracts
from swift.contracts.loaders import check_conforms, check_tuner
from swift.kernel import SwiftError, load_object
from swift.kernel.records import CommandRecord, LossRecord, ModelRecord, Record, RewardRecord, TunerRecord
from swift_sdk.conformance.errors import fail
from swift_sdk.conformance.plugin import PluginUnderTest


def check_implementations_load(plugin: PluginUnderTest) -> None:
    """Every record's ``load`` (and a command's ``arguments``) imports.

    A model record's default ``template`` must be a registered template.

    Raises:
        ConformanceError: Naming the record and the import problem.
    """
    with plugin.active():
        for family, records in plugin.records.items():
            for record in records:
                refs = [("load", record.load)]
                if isinstance(record, CommandRecord) and record.arguments:
                    refs.append(("arguments", record.arguments))
                for attr, ref in refs:
                    try:
                        obj = load_object(ref, what=f"{family} record {record.name!r}")
                        if attr == "load":
                            check_contract(family, record, obj)
                    except Exception as exc:  # noqa: BLE001 - reported to the author
                        reason = str(exc) if isinstance(exc, SwiftError) else f"{type(exc).__name__}: {exc}"
                        raise fail(
                            plugin.label,
                            f"{attr}={ref!r} does not load: {reason}",
                            family=family,
                            record=record.name,
                        ) from exc
                if isinstance(record, ModelRecord) and record.template:
                    if record.template not in plugin.kernel.registry("templates"):
                        raise fail(
                            plugin.label,
                            f"its default template {record.template!r} is not registered by any installed plugin",
                            family=family,
                            record=record.name,
                        )


# family -> the Protocol its record's `load` object implements (swift.contracts)
PROTOCOLS: dict[str, type] = {
    "models": contracts.ModelLoader,
    "templates": contracts.TemplateMetaLike,
    "agent_templates": contracts.AgentTemplateLike,
    "tools": contracts.ToolFunction,
    "datasets": contracts.DatasetReader,
    "engines": contracts.InferEngine,
    "eval_backends": contracts.EvalBackend,
    "schedulers": contracts.Scheduler,
    "trainers": contracts.TrainerRun,
    "commands": contracts.CommandMain,
}


def check_contract(family: str, record: Record, obj: Any) -> None:
    """Raise ``PluginLoadError`` when ``obj`` does not implement the family's Protocol."""
    what = f"{record.load}"
    if isinstance(record, TunerRecord):
        check_tuner(obj, what, mergeable=record.mergeable)
    elif isinstance(record, RewardRecord):
        if record.kind == "function":
            check_conforms(obj, contracts.RewardFunction, what)
    elif isinstance(record, LossRecord):
        if record.kind == "loss":
            check_conforms(obj, contracts.LossFunction, what)
        elif record.kind == "loss_scale":
            check_conforms(obj, contracts.LossScaleLike, what)
    elif family == "templates":
        contracts.check_template_object(obj, what)
    elif family in PROTOCOLS:
        check_conforms(obj, PROTOCOLS[family], what)
