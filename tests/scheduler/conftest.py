"""Scheduler tests run against the core's builtins only (installed plugins are not loaded)."""

import pytest


@pytest.fixture
def kernel(make_kernel):
    """A strict kernel with the builtins only, installed as the process kernel."""
    return make_kernel(use_entry_points=False, strict=True)


@pytest.fixture(autouse=True)
def _no_inherited_plugin_files(monkeypatch):
    # A kernel built with external_plugins exports them in SWIFT_EXTERNAL_PLUGINS (for
    # subprocesses); without this, one test's plugin file would leak into the next.
    monkeypatch.delenv("SWIFT_EXTERNAL_PLUGINS", raising=False)
