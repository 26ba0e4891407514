"""Registration hooks of swift-peft. Light: record tables only, no torch or peft."""

from __future__ import annotations

from swift.kernel import hookimpl


@hookimpl
def swift_register_tuners():
    from swift_peft.catalog import TUNER_RECORDS

    yield from TUNER_RECORDS


@hookimpl
def swift_check_args(command, args):
    """The ReFT flags are checked before any model loads (light: no torch)."""
    if command in ("sft", "pt", "rlhf") and getattr(args, "train_type", None) == "reft":
        from swift_peft.settings import ReftSettings

        ReftSettings.from_args(args)
