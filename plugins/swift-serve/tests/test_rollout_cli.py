"""``swift rollout`` on the command line: which plugin provides it and what it refuses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def _swift(*argv: str) -> subprocess.CompletedProcess:
    script = shutil.which("swift", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "swift.cli.main"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SWIFT_PLUGINS_STRICT": "1"}
    return subprocess.run([*command, *argv], capture_output=True, text=True, env=env, timeout=300)


def test_the_rollout_command_comes_from_swift_serve():
    from swift.kernel import registry

    record = registry("commands").get("rollout")

    assert record.load == "swift_serve.rollout:rollout_main"
    assert record.provider.distribution == "swift-serve"
    assert record.arguments == "swift.arguments:RolloutArguments"


def test_multi_turn_flags_are_refused_with_where_they_belong(tiny_model_dir):
    result = _swift(
        "rollout", "--model", tiny_model_dir, "--infer_backend", "pt",
        "--multi_turn_scheduler", "tool_call", "--max_turns", "3",
    )  # fmt: skip

    assert result.returncode == 2
    assert "multi-turn rollouts are driven by the trainer" in result.stderr
    assert "--multi_turn_scheduler tool_call --max_turns 3 to `swift rlhf" in result.stderr
    assert "loaded model" not in result.stderr


def test_the_default_vllm_backend_names_the_plugin_to_install(tiny_model_dir):
    result = _swift("rollout", "--model", tiny_model_dir, "--host", "127.0.0.1", "--port", "0")

    assert result.returncode == 2
    assert "unknown engine 'vllm'" in result.stderr and "pip install swift-vllm" in result.stderr
    assert "loaded model" not in result.stderr  # refused before loading anything
