"""Plugin scaffold: ``swift plugins new NAME --family F`` writes a ready-to-install package.

::

    from swift_sdk.scaffold import create_plugin
    create_plugin("acme", ["rewards", "tuners"], "plugins/")   # → plugins/swift-acme/

The package has a light hooks module, a working minimal implementation per family,
the quoted entry-point groups in ``pyproject.toml`` and ``tests/test_conformance.py``
running :mod:`swift_sdk.conformance` — its tests pass after ``pip install -e``.
"""

from swift_sdk.scaffold.create import (
    FAMILIES,
    PluginNames,
    create_plugin,
    parse_families,
    render_plugin,
)

__all__ = ["FAMILIES", "PluginNames", "create_plugin", "parse_families", "render_plugin"]
