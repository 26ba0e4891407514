"""The offline examples of this plugin's pages (docs/classification.md, docs/vision.md) run as written.

Each page has one ``<!-- run -->`` bash block and the ``<!-- output -->`` block it must print.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[3] / "docs"
BLOCK = re.compile(r"<!--\s*(run|output)\s*-->\s*\n```\w*\n(.*?)```", re.S)


@pytest.mark.parametrize("page", ["classification.md", "vision.md"])
def test_the_offline_example_of_the_page_runs(page, tmp_path):
    (_, script), (_, expected) = BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
    }
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    logs = "".join(p.read_text() for p in tmp_path.glob("*.log"))
    assert done.returncode == 0, done.stderr[-3000:] + logs[-3000:]
    assert done.stdout == expected, done.stdout
