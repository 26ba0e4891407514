"""swift-trl passes the SDK's conformance suite for trainer plugins (light hooks, records, run(args))."""

from __future__ import annotations

from swift_sdk.conformance import TrainerConformance


class TestSwiftTrl(TrainerConformance):
    plugin = "swift_trl.hooks"
    distribution = "swift-trl"
