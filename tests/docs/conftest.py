"""The docs tests run examples in a fresh venv (the one tests/extensibility builds)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def _load_freshvenv():
    # Test folders are not packages (importlib import mode): load the helper by path, once.
    name = "swift_tests_freshvenv"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "extensibility" / "freshvenv.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def docs_venv(tmp_path_factory):
    """Where documented commands run: ``pip install -e`` in a tutorial must not touch the dev venv."""
    return _load_freshvenv().new_venv(tmp_path_factory.mktemp("docs-venv"))
