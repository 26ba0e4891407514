"""Hook specification of the ``losses`` family: loss functions and loss-scale strategies."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import LossRecord


@hookspec
def swift_register_losses() -> Iterable[LossRecord]:
    """Register loss functions and loss-scale strategies.

    Called the first time a command needs the ``losses`` family.

    Yield :class:`~swift.kernel.records.LossRecord` objects: ``kind="loss"`` for
    ``--loss_type`` (:class:`swift.contracts.LossFunction`:
    ``fn(outputs, labels, num_items_in_batch=None, **kwargs) -> loss``) and
    ``kind="loss_scale"`` for ``--loss_scale`` (a per-turn weighting strategy).

    Example::

        @hookimpl
        def swift_register_losses():
            yield LossRecord(name="focal", load="swift_acme.losses:focal_loss")
    """
