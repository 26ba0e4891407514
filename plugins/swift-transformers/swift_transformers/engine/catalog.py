"""Engine records of swift-transformers. Light: no torch is imported here."""

from __future__ import annotations

from swift.kernel import EngineRecord

ENGINE_RECORDS = (
    EngineRecord(
        name="pt",
        load="swift_transformers.engine.pt:PtEngine",
        summary="transformers generate, batching concurrent requests; LoRA adapters by name",
        aliases=("transformers",),
    ),
)
