"""Hook specification of the ``trainers`` family: training methods."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import TrainerRecord


@hookspec
def swift_register_trainers() -> Iterable[TrainerRecord]:
    """Register training methods.

    Called the first time a command needs the ``trainers`` family (``pt``, ``sft``, ``rlhf``).

    Yield one :class:`~swift.kernel.records.TrainerRecord` per method; ``command``
    says which command selects it (``sft``/``pt`` by command name, ``rlhf`` by
    ``--rlhf_type``). ``load`` names ``run(args) -> dict``
    (:class:`swift.contracts.TrainerRun`).

    Example::

        @hookimpl
        def swift_register_trainers():
            yield TrainerRecord(name="ipo", load="swift_acme.ipo:run", command="rlhf")
    """
