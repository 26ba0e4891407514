"""``bench/train_gpu.py --smoke``: the GPU benchmark's code path runs on CPU (tiny shape, 3 steps).

The GPU machine is lent rarely and for minutes: a benchmark that broke between two lends would
waste one. This runs both sides as the GPU run does (model build, data rows, the swift and the
transformers+peft child processes, the JSON lines and the table).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_train_gpu_smoke_measures_both_sides_and_writes_their_figures(tmp_path):
    out = tmp_path / "results.json"
    env = dict(os.environ, HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "train_gpu.py"), "--smoke", "--work", str(tmp_path), "--json", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert [(line["case"], line["side"]) for line in lines] == [
        ("lora-tiny", "swift"),
        ("lora-tiny", "transformers+peft"),
    ]
    assert all(line["tokens_s"] > 0 and line["steps_timed"] >= 1 for line in lines)
    assert "ratio swift/base" in proc.stdout
    results = json.loads(out.read_text())
    assert results["lora-tiny"]["swift"]["tokens_s"] == lines[0]["tokens_s"]
