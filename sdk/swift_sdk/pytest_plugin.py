"""pytest fixtures for swift plugin authors (loaded automatically with swift-sdk).

Fixtures:
    swift_kernel: a fresh, strict kernel installed for the test; builtins and
        installed entry points load as usual.
    make_kernel: factory ``make_kernel(**kwargs)`` for kernels with other settings
        (``strict=False`` to test failure containment, ``disabled=…``).
    fake_dist: factory ``fake_dist(name, entry_points=…, modules=…)`` writing a fake
        ``*.dist-info`` under the test's tmp dir (undone after the test).
    tiny_model_path: a tiny offline Qwen3 model directory, built once per session.
"""

from __future__ import annotations

import contextlib

import pytest

from swift_sdk.kernel import fake_distribution, fresh_kernel


@pytest.fixture
def make_kernel():
    """A factory of fresh kernels (``make_kernel(strict=..., disabled=...)``), restored afterwards."""
    with contextlib.ExitStack() as stack:
        yield lambda **kwargs: stack.enter_context(fresh_kernel(**kwargs))


@pytest.fixture
def swift_kernel(make_kernel):
    """A fresh strict kernel with builtins and installed plugins, as the process-wide one."""
    return make_kernel(strict=True)


@pytest.fixture
def fake_dist(tmp_path):
    """A factory of fake installed distributions (``*.dist-info`` on ``sys.path``) for discovery tests."""
    with contextlib.ExitStack() as stack:
        counter = iter(range(1000))

        def make(name, version="0.1.0", *, entry_points=None, modules=None):
            root = tmp_path / f"site{next(counter)}"
            return stack.enter_context(
                fake_distribution(root, name, version, entry_points=entry_points, modules=modules)
            )

        yield make


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory):
    """A tiny Qwen3 checkpoint (tokenizer + random weights) built once per session."""
    from swift_sdk.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model") / "qwen3", "qwen3")
