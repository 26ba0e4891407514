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
    ``load`` names an object implementing :class:`swift.contracts.Tuner`:
    ``prepare(model, args, *, total_steps=None) -> model``,
    ``save(model, output_dir, **kwargs)``,
    ``load(model, adapter_dir, *, is_trainable=False, adapter_name="default") -> model``
    and, when the record is ``mergeable``, ``merge(model) -> model``; optionally
    ``optimizer_param_groups(model, args)`` (:class:`swift.contracts.TunerWithParamGroups`)
    and ``callback(model, args)`` (:class:`swift.contracts.TunerWithCallback`). Set
    ``full=True`` for a method that trains the base weights. Trainers get it with
    :func:`swift.contracts.load_tuner`, which checks the contract.

    Example::

        @hookimpl
        def swift_register_tuners():
            yield TunerRecord(name="lora-wide", load="swift_acme.tuners:WIDE_LORA",
                              backend="peft", summary="LoRA rank 64 on every linear")
    """
