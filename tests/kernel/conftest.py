"""Kernel tests see only the builtins and the fake distributions they create.

The first-party plugins installed in the environment are disabled here, so these
tests speak about the kernel alone.
"""

import pytest

from swift.kernel.loader import disabled_names
from swift_sdk.kernel import installed_plugin_names

INSTALLED = installed_plugin_names()


@pytest.fixture
def make_kernel(make_kernel):
    def make(**kwargs):
        kwargs.setdefault("disabled", INSTALLED | disabled_names())
        return make_kernel(**kwargs)

    return make
