"""The example of docs/ui.md runs as written and prints what the page says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "ui.md"
BLOCK = re.compile(r"<!--\s*(run|output)\s*-->\s*\n```\w*\n(.*?)```", re.S)


def test_the_example_of_docs_ui_runs(tmp_path):
    (_, script), (_, expected) = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    env = {k: v for k, v in os.environ.items() if k != "SWIFT_UI_AUTH"}
    env["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == expected.strip()
    assert (tmp_path / "jobs").is_dir() is False  # no job was started: the folder appears with the first one
