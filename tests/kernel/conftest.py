"""Kernel tests see only the builtins and the fake distributions they create.

The first-party plugins installed in the environment are disabled here, so these
tests speak about the kernel alone.
"""

from importlib import metadata

import pytest

from swift.kernel.families import ENTRY_POINT_FAMILIES
from swift.kernel.loader import disabled_names


def _installed_plugin_names() -> frozenset[str]:
    names = set()
    for family in ENTRY_POINT_FAMILIES:
        names.update(ep.name for ep in metadata.entry_points(group=f"swift.{family}"))
    return frozenset(names)


INSTALLED = _installed_plugin_names()


@pytest.fixture
def make_kernel(make_kernel):
    def make(**kwargs):
        kwargs.setdefault("disabled", INSTALLED | disabled_names())
        return make_kernel(**kwargs)

    return make
