"""Fixtures of the `swift sample` tests: prompts with reference answers and a reward plugin file."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from swift_sdk.cli import run_swift as sdk_run_swift

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")

PROMPTS = (("hello", "hi"), ("one plus two", "three"), ("who are you", "a bot"), ("good bye", "bye"))

# Rewards in a plugin file, as a user passes them with --external_plugins. `length` checks it
# receives the columns the contract promises (solution per completion, messages ending with it).
REWARDS_PLUGIN = """
from swift.kernel import RewardRecord, hookimpl


def length(completions, solution, messages, **kwargs):
    assert len(solution) == len(messages) == len(completions)
    assert all(isinstance(s, str) and s for s in solution)
    assert all(m[-1] == {"role": "assistant", "content": c} for m, c in zip(messages, completions))
    return [float(len(c)) for c in completions]


def always_one(completions, **kwargs):
    return [1.0] * len(completions)


def position(completions, **kwargs):
    return [float(i) for i in range(len(completions))]


@hookimpl
def swift_register_rewards():
    yield RewardRecord(name="length", load=f"{__name__}:length", summary="characters of the answer")
    yield RewardRecord(name="always_one", load=f"{__name__}:always_one")
    yield RewardRecord(name="position", load=f"{__name__}:position", summary="index of the completion")
"""


@pytest.fixture
def prompts_file(tmp_path) -> Path:
    """Four chats (user question + reference answer) with an extra ``solution`` column."""
    path = tmp_path / "prompts.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}], "solution": a}
        for q, a in PROMPTS
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def rewards_plugin(tmp_path) -> Path:
    path = tmp_path / "my_rewards.py"
    path.write_text(textwrap.dedent(REWARDS_PLUGIN), encoding="utf-8")
    return path


@pytest.fixture
def run_swift(swift_kernel, capsys):
    """``run_swift("sample", ...)`` → (exit code, stdout, stderr), in this process."""
    from swift.cli.main import main

    def run(*argv: str):
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def swift_cli():
    """``swift_cli(*argv, cwd=…)``: run the installed ``swift`` executable as a subprocess."""

    def run(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
        return sdk_run_swift(*argv, cwd=cwd)

    return run


@pytest.fixture
def read_results():
    """``read_results(path)`` → the JSON lines of a result file."""

    def read(path) -> list[dict]:
        return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]

    return read


@pytest.fixture(autouse=True)
def _no_inherited_plugin_files(monkeypatch):
    # `--external_plugins` exports its files in SWIFT_EXTERNAL_PLUGINS for subprocesses; without
    # this, one test's plugin file would be loaded again by the next test's kernel.
    monkeypatch.delenv("SWIFT_EXTERNAL_PLUGINS", raising=False)
