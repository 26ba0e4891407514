"""Fixtures of the ``swift rlhf`` cross-package tests: data files and the ``swift`` executable."""

from __future__ import annotations

import functools
import json
import os
import random
from pathlib import Path

import pytest

from swift_sdk.cli import run_swift as sdk_run_swift

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


@pytest.fixture
def run_swift(tmp_path):
    """``run_swift(*argv, env=None)`` → ``CompletedProcess`` of ``swift <argv>`` in ``tmp_path``."""
    return functools.partial(sdk_run_swift, cwd=tmp_path)


@pytest.fixture
def read_jsonl():
    """``read_jsonl(path)`` → every JSON line of a file."""
    return lambda path: [json.loads(x) for x in Path(path).read_text().splitlines() if x.strip()]
