"""Registration hooks of swift-trl. Light: record tables only, no torch or trl."""

from __future__ import annotations

from swift.kernel import hookimpl


@hookimpl
def swift_register_trainers():
    from swift_trl.catalog import TRAINER_RECORDS

    yield from TRAINER_RECORDS
