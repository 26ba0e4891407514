"""Fixtures of the ``swift rlhf`` cross-package tests: data files and the ``swift`` executable."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")


@pytest.fixture(scope="session")
def rlhf_data(tmp_path_factory) -> dict[str, str]:
    """``pairs`` (messages + rejected_response) and ``prompts`` (GRPO prompts + solution)."""
    folder = tmp_path_factory.mktemp("rlhf-data")
    rng = random.Random(0)
    pairs, prompts = [], []
    for _ in range(16):
        a, b = rng.randint(1, 9), rng.randint(1, 9)
        question = {"role": "user", "content": f"what is {a} plus {b}?"}
        answer = {"role": "assistant", "content": f"{a} plus {b} equals {a + b}."}
        pairs.append({"messages": [question, answer], "rejected_response": "No idea."})
        prompts.append({"messages": [question], "solution": str(a + b)})
    for name, rows in (("pairs", pairs), ("prompts", prompts)):
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return {"pairs": str(folder / "pairs.jsonl"), "prompts": str(folder / "prompts.jsonl")}


def swift_command() -> list[str]:
    """The installed ``swift`` script next to this interpreter (or ``python -m swift.cli.main``)."""
    script = Path(sys.executable).with_name("swift")
    if script.exists():
        return [str(script)]
    found = shutil.which("swift")
    return [found] if found else [sys.executable, "-m", "swift.cli.main"]


@pytest.fixture
def run_swift(tmp_path):
    """``run_swift(*argv, env=None)`` → ``CompletedProcess`` of ``swift <argv>`` in ``tmp_path``."""

    def run(*argv: str, env: dict[str, str] | None = None, timeout: float = 600):
        full_env = {
            **os.environ,
            "SWIFT_PLUGINS_STRICT": "1",
            "OMP_NUM_THREADS": "1",
            **(env or {}),
        }
        return subprocess.run(
            [*swift_command(), *argv],
            cwd=tmp_path,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture
def read_jsonl():
    """``read_jsonl(path)`` → every JSON line of a file."""
    return lambda path: [json.loads(x) for x in Path(path).read_text().splitlines() if x.strip()]
