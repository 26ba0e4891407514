"""A fresh virtual environment that shares heavy libraries with the dev venv but no swift package.

What gets installed, and how:

* ``python -m venv --without-pip`` from this interpreter (well under a second);
* the heavy third-party libraries (torch, transformers, peft, trl, datasets …) are
  *reused* from the development venv, not reinstalled: a folder of symlinks to every
  entry of its site-packages **except** swift's own distributions and editable-install
  hooks is put on the new venv's path with a ``.pth`` file. The new venv therefore sees
  no swift package it did not install itself, and pip (also reused) installs into it;
* swift's own distributions are installed for real — built as wheels from copies of
  the sources (``pip install --no-deps --no-build-isolation --no-index``), so nothing is
  written into the checkout and no network is used.

So the new venv answers exactly like a user's after ``pip install swift
swift-transformers swift-peft swift-sdk``: entry points come only from what was
pip-installed into it, and ``pip uninstall`` really removes a plugin.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_IGNORED = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist", "tests", ".pytest_cache")
_OWN_PREFIXES = ("swift", "__editable__", "_swift")


def _is_swift_entry(name: str) -> bool:
    return name.lower().replace("-", "_").startswith(_OWN_PREFIXES) or name.endswith(".pth") or name == "__pycache__"


class FreshVenv:
    """A virtual environment that shares heavy libraries with the dev venv but no swift package.

    Args:
        root: Folder to create it in.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.prefix = root / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(self.prefix)], check=True)
        self.bin = self.prefix / "bin"
        self.python = self.bin / "python"
        site = Path(self._ask("import sysconfig; print(sysconfig.get_paths()['purelib'])"))
        # Inside the prefix and named *site-packages*: dill (used by datasets to fingerprint
        # tables) pickles a library's classes by reference only when they live in such a place.
        shared = self.prefix / "shared-site-packages"
        shared.mkdir()
        dev_site = Path(sysconfig.get_paths()["purelib"])
        for entry in dev_site.iterdir():
            if not _is_swift_entry(entry.name):
                (shared / entry.name).symlink_to(entry)
        (site / "_swift_test_shared_libs.pth").write_text(f"{shared}\n")
        self.site = site
        # `pip` on PATH must be this venv's (pip itself is one of the shared libraries).
        shim = self.bin / "pip"
        shim.write_text(f'#!/bin/sh\nexec "{self.python}" -m pip "$@"\n')
        shim.chmod(0o755)

    def _ask(self, code: str) -> str:
        return subprocess.run([str(self.python), "-c", code], check=True, capture_output=True, text=True).stdout.strip()

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for commands in the venv: offline, strict plugins, one thread."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env.update(
            PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}",
            VIRTUAL_ENV=str(self.prefix),
            SWIFT_PLUGINS_STRICT="1",
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            HF_DATASETS_OFFLINE="1",
            OMP_NUM_THREADS="1",
            PIP_DISABLE_PIP_VERSION_CHECK="1",
        )
        env.update(extra)
        return env

    def run(self, *argv: str, cwd: Path | None = None, timeout: float = 900, **env: str) -> subprocess.CompletedProcess:
        """Run ``argv`` (``swift …``, ``python …``) with the venv's executables first on PATH."""
        program = self.bin / argv[0]
        command = [str(program) if program.exists() else argv[0], *argv[1:]]
        return subprocess.run(
            command,
            cwd=cwd or self.root,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def install(self, *sources: Path, editable: bool = False) -> None:
        """``pip install`` local distributions; non-editable ones are built from a copy."""
        targets = []
        for source in sources:
            if editable:
                targets += ["-e", str(source)]
                continue
            copy = self.root / "src" / source.name
            shutil.rmtree(copy, ignore_errors=True)
            if source == ROOT:  # the core: its pyproject sits at the repository root
                copy.mkdir(parents=True)
                shutil.copy2(ROOT / "pyproject.toml", copy)
                shutil.copytree(ROOT / "core", copy / "core", ignore=_IGNORED)
            else:
                shutil.copytree(source, copy, ignore=_IGNORED)
            targets.append(str(copy))
        proc = self.run(
            "python",
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            *targets,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]

    def uninstall(self, *distributions: str) -> None:
        proc = self.run("python", "-m", "pip", "uninstall", "-y", *distributions)
        assert proc.returncode == 0, proc.stderr[-3000:]

    def plugins(self) -> dict:
        """``swift plugins list --json`` parsed."""
        proc = self.run("swift", "plugins", "list", "--json")
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout)

    def distributions(self) -> set[str]:
        """Names of the distributions pip installed into the venv itself."""
        return {p.name.split("-")[0].replace("_", "-").lower() for p in self.site.glob("*.dist-info")}


def new_venv(root: Path) -> FreshVenv:
    """A :class:`FreshVenv` with swift, swift-transformers, swift-peft and swift-sdk pip-installed."""
    venv = FreshVenv(root)
    venv.install(ROOT, ROOT / "plugins" / "swift-transformers", ROOT / "plugins" / "swift-peft", ROOT / "sdk")
    return venv
