"""Hooks of swift-sdk: it contributes ``swift plugins new`` (the plugin scaffold). Light."""

from __future__ import annotations

from swift.kernel import CommandRecord, hookimpl


@hookimpl
def swift_register_commands():
    yield CommandRecord(
        name="plugins-new",
        load="swift_sdk.scaffold.cli:main",
        summary="write a ready-to-install plugin package",
        parent="plugins",
        order=91,
    )
