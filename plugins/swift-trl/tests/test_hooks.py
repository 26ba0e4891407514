"""The plugin registers its trainers without importing anything heavy."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "trl", "peft", "datasets")


def test_listing_the_trainers_imports_no_heavy_library():
    code = (
        "import json, sys\n"
        "from swift.kernel import registry\n"
        "records = registry('trainers').records()\n"
        "trainers = {r.name: [r.command, r.provider.distribution] for r in records}\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(json.dumps({'trainers': trainers, 'heavy': heavy}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["heavy"] == []
    for name in ("dpo", "orpo", "simpo", "kto", "cpo", "grpo"):
        assert found["trainers"][name] == ["rlhf", "swift-trl"]
