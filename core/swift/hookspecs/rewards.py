"""Hook specification of the ``rewards`` family: reward functions and reward models."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.kernel.records import RewardRecord


@hookspec
def swift_register_rewards() -> Iterable[RewardRecord]:
    """Register reward functions and reward models.

    Called the first time a command needs the ``rewards`` family (``swift rlhf``, ``swift sample``).

    Yield :class:`~swift.kernel.records.RewardRecord` objects. A ``kind="function"``
    record's ``load`` names a TRL-compatible callable (:class:`swift.contracts.RewardFunction`)
    ``fn(completions, **columns) -> list[float]`` (async allowed; every dataset
    column such as ``solution`` arrives as a keyword argument). A ``kind="model"``
    record names a reward-model loader.

    Example::

        @hookimpl
        def swift_register_rewards():
            yield RewardRecord(name="politeness", load="swift_acme.rewards:politeness")
    """
