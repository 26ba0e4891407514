"""Every record's implementation imports, and a model type's default template exists."""

from __future__ import annotations

from swift.kernel import SwiftError, load_object
from swift.kernel.records import CommandRecord, ModelRecord
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
                        load_object(ref, what=f"{family} record {record.name!r}")
                    except Exception as exc:  # noqa: BLE001 - reported to the author
                        reason = (
                            str(exc)
                            if isinstance(exc, SwiftError)
                            else f"{type(exc).__name__}: {exc}"
                        )
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
                            f"its default template {record.template!r} is not registered by any "
                            "installed plugin",
                            family=family,
                            record=record.name,
                        )
