"""Fixtures of the model tests: real argument objects and fake checkpoint folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="module")
def fresh_kernel():
    """A kernel of its own (installed entry points, as a user has them) for each test module."""
    from swift.kernel import Kernel, set_kernel

    previous = set_kernel(Kernel())
    yield
    set_kernel(previous)


@pytest.fixture
def make_args():
    """Build ``TrainArguments`` the way ``swift sft`` does, from keyword flags."""
    from swift.arguments import TrainArguments

    def make(**flags):
        return TrainArguments(**flags)

    return make


@pytest.fixture
def fake_checkpoint(tmp_path):
    """Write a folder holding only a ``config.json`` (enough for detection)."""

    def write(name: str = "ckpt", **config) -> str:
        folder = Path(tmp_path) / name
        folder.mkdir(parents=True)
        (folder / "config.json").write_text(json.dumps(config))
        return str(folder)

    return write
