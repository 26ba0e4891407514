"""Hooks of swift-trl. Light: record tables and flag checks only, no torch or trl."""

from __future__ import annotations

from swift.kernel import hookimpl


@hookimpl
def swift_register_trainers():
    from swift_trl.catalog import TRAINER_RECORDS

    yield from TRAINER_RECORDS


@hookimpl
def swift_check_args(command, args):
    from swift_trl.checks import check_args

    check_args(command, args)
