"""Hook specification of the ``tuners`` family: tuning methods."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import TunerRecord


@hookspec
def swift_register_tuners() -> Iterable[TunerRecord]:
    """Register tuning methods.

    Called the first time a command needs the ``tuners`` family.

    Yield one :class:`~swift.kernel.records.TunerRecord` per ``--train_type``.
    ``load`` names a tuner object with ``prepare(model, args) -> model``,
    ``save(model, output_dir)``, ``load(model, adapter_dir) -> model`` and, when
    ``mergeable``, ``merge(model) -> model``.

    Example::

        @hookimpl
        def swift_register_tuners():
            yield TunerRecord(name="lora-wide", load="swift_acme.tuners:WIDE_LORA",
                              backend="peft", summary="LoRA rank 64 on every linear")
    """
