"""Registration hooks of swift-peft. Light: record tables only, no torch or peft."""

from __future__ import annotations

from swift.kernel import hookimpl


@hookimpl
def swift_register_tuners():
    from swift_peft.catalog import TUNER_RECORDS

    yield from TUNER_RECORDS
