"""Kernels and fake distributions for tests.

Example::

    from swift_sdk.kernel import fake_distribution, fresh_kernel

    with fake_distribution(tmp_path, "swift-acme", entry_points={"swift.rewards": {"acme": "acme_hooks"}},
                           modules={"acme_hooks.py": HOOKS_SOURCE}):
        with fresh_kernel() as kernel:
            assert "acme_reward" in kernel.registry("rewards")
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys
import textwrap
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import swift.kernel as kernel_module
from swift.kernel.families import ENTRY_POINT_FAMILIES
from swift.kernel.loader import EXTERNAL_ENV
from swift.kernel.manager import Kernel


@contextlib.contextmanager
def fresh_kernel(**kwargs: Any) -> Iterator[Kernel]:
    """A new :class:`~swift.kernel.manager.Kernel` installed as the process-wide one.

    Keyword arguments go to ``Kernel`` (``strict``, ``disabled``, ``builtins``,
    ``external_plugins``, ``use_entry_points``). The previous kernel comes back on exit.
    """
    # Plugin files given to a kernel are exported for subprocesses; keep that inside the test.
    saved_files = os.environ.get(EXTERNAL_ENV)
    kernel = Kernel(**kwargs)
    previous = kernel_module.set_kernel(kernel)
    try:
        yield kernel
    finally:
        kernel_module.set_kernel(previous)
        if saved_files is None:
            os.environ.pop(EXTERNAL_ENV, None)
        else:
            os.environ[EXTERNAL_ENV] = saved_files


def installed_plugin_names() -> frozenset[str]:
    """Entry-point names of every installed ``swift.*`` plugin (to disable them in a test)."""
    names = set()
    for family in ENTRY_POINT_FAMILIES:
        names.update(ep.name for ep in metadata.entry_points(group=f"swift.{family}"))
    return frozenset(names)


def _dist_dirname(name: str, version: str) -> str:
    return f"{re.sub(r'[-_.]+', '_', name)}-{version}.dist-info"


@contextlib.contextmanager
def fake_distribution(
    root: str | Path,
    name: str,
    version: str = "0.1.0",
    *,
    entry_points: Mapping[str, Mapping[str, str]] | None = None,
    modules: Mapping[str, str] | None = None,
) -> Iterator[Path]:
    """Write an installed-looking distribution under ``root`` and put it on ``sys.path``.

    Args:
        root: A folder (e.g. pytest's ``tmp_path``) that becomes a ``sys.path`` entry.
        name: Distribution name (``swift-acme``).
        version: Distribution version.
        entry_points: ``{group: {entry_point_name: "module[:attr]"}}``.
        modules: ``{relative_path: source}`` files to write next to the dist-info
            (``"acme/hooks.py"``); sources are dedented.

    Yields:
        The ``root`` path. On exit it leaves ``sys.path`` and the written modules are
        removed from ``sys.modules``.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    dist_info = root / _dist_dirname(name, version)
    dist_info.mkdir(exist_ok=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = []
    for group, eps in (entry_points or {}).items():
        lines.append(f"[{group}]")
        lines += [f"{ep_name} = {value}" for ep_name, value in eps.items()]
        lines.append("")
    (dist_info / "entry_points.txt").write_text("\n".join(lines))
    written = []
    for rel, source in (modules or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
        written.append(rel.removesuffix(".py").removesuffix("/__init__").replace("/", "."))
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        yield root
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(root))
        for mod in list(sys.modules):
            if any(mod == w or mod.startswith(w + ".") for w in written):
                del sys.modules[mod]
        importlib.invalidate_caches()
