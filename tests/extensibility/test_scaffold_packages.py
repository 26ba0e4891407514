"""Packages written by ``swift plugins new`` pass their own tests (the conformance suite) out of the box.

Two ways in: every family alone, as fake installed distributions in this venv (one
pytest subprocess runs all eleven packages' tests), and one package with every family,
written by the ``swift`` command and ``pip install -e``'d into the fresh venv.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from swift_sdk.kernel import fake_distribution
from swift_sdk.scaffold import FAMILIES, render_plugin

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _fake_install(files: dict[str, str], site: Path, tests: Path) -> None:
    """Write the package as an installed-looking distribution under ``site``; its tests under ``tests``."""
    [pyproject] = [text for path, text in files.items() if path.endswith("/pyproject.toml")]
    project = tomllib.loads(pyproject)["project"]
    package = {p.split("/", 1)[1]: t for p, t in files.items() if p.split("/")[1].startswith("swift_")}
    with fake_distribution(site, project["name"], entry_points=project["entry-points"], modules=package):
        pass  # the files stay; only sys.path and sys.modules are restored on exit
    for path, text in files.items():
        if "/tests/" in path:
            target = tests / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")


def test_each_family_alone_passes_its_generated_tests(tmp_path):
    site, tests = tmp_path / "site", tmp_path / "packages"
    for family in FAMILIES:
        _fake_install(render_plugin(f"only-{family}", [family]), site, tests)
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "SWIFT_PLUGINS_STRICT": "1",
        "HF_HUB_OFFLINE": "1",
    }

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(tests),
            "-v",
            "-rs",
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            "--rootdir",
            str(tests),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=1200,
    )

    assert proc.returncode == 0, proc.stdout[-6000:]
    for family in FAMILIES:
        label = family.removesuffix("s") if family != "losses" else "loss"
        assert f"::test_{label}[only-{family}] PASSED" in proc.stdout, f"no passing {family} check"
    reasons = [line for line in proc.stdout.splitlines() if line.startswith("SKIPPED [")]
    assert reasons and all("registers no" in line for line in reasons), reasons  # only absent families skip


def test_a_package_with_every_family_installs_with_pip_and_passes_its_tests(fresh_venv, tmp_path):
    made = fresh_venv.run("swift", "plugins", "new", "acme", "--family", ",".join(FAMILIES), "--output", str(tmp_path))
    assert made.returncode == 0, made.stderr
    package = tmp_path / "swift-acme"
    # the evaluation backend's conformance check serves a tiny model with swift-serve
    fresh_venv.install(ROOT / "plugins" / "swift-serve")
    fresh_venv.install(package, editable=True)
    try:
        listed = fresh_venv.plugins()
        [row] = [p for p in listed["plugins"] if p["distribution"] == "swift-acme"]
        assert sorted(row["provides"]) == sorted(FAMILIES) and row["status"] == "active"

        proc = fresh_venv.run("python", "-m", "pytest", "tests", "-q", "-rs", "-p", "no:cacheprovider", cwd=package)
        assert proc.returncode == 0, proc.stdout[-6000:]
        assert "failed" not in proc.stdout and "skipped" not in proc.stdout, proc.stdout[-3000:]
    finally:
        fresh_venv.uninstall("swift-acme", "swift-serve")
