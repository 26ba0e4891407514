"""The example of docs/eval.md runs as written and prints what the page says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "eval.md"
BLOCK = re.compile(r"<!--\s*(run|output)\s*-->\s*\n```\w*\n(.*?)```", re.S)


def _matches(expected: str, actual: str) -> bool:
    # "..." alone on a line: any lines; "..." inside a line: any text
    pattern = ""
    for line in expected.strip("\n").split("\n"):
        if line.strip() == "...":
            pattern += r"(?:.*\n)*?"
        else:
            pattern += ".*".join(re.escape(part) for part in line.split("...")) + r"\s*\n"
    return re.search(pattern, actual + "\n") is not None


@pytest.mark.slow
def test_the_offline_example_of_docs_eval_runs(tmp_path):
    blocks = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    (_, script), (_, expected) = blocks
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "HF_HUB_OFFLINE": "1",
           "HF_DATASETS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}  # fmt: skip
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert _matches(expected, done.stdout), done.stdout
