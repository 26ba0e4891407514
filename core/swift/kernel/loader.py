"""Finding plugins: entry points of the ``swift.*`` groups and plugin files.

Each candidate becomes a :class:`PluginSource`; importing it happens in
:mod:`swift.kernel.manager`, inside a guard per plugin.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType

DISABLE_ENV = "SWIFT_DISABLE_PLUGINS"
STRICT_ENV = "SWIFT_PLUGINS_STRICT"
EXTERNAL_ENV = "SWIFT_EXTERNAL_PLUGINS"


@dataclass
class PluginSource:
    """Where a plugin comes from, before it is imported.

    Attributes:
        name: Entry-point name, ``builtin:<x>`` or the plugin file's path.
        kind: ``builtin``, ``entry_point`` or ``file``.
        target: Module import name (builtin, entry point) or file path.
        distribution: Distribution name for entry points.
        version: Distribution version for entry points.
        groups: Entry-point groups (``swift.tuners``) the plugin is listed under.
    """

    name: str
    kind: str
    target: str
    distribution: str | None = None
    version: str | None = None
    groups: set[str] = field(default_factory=set)

    @property
    def all_families(self) -> bool:
        """Builtins and plugin files take part in every family they implement."""
        return self.kind != "entry_point"


def env_flag(name: str) -> bool:
    """Whether the environment variable ``name`` is set to a true value (1, true, yes, on)."""
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def disabled_names() -> set[str]:
    """Plugin or distribution names listed in ``SWIFT_DISABLE_PLUGINS``."""
    raw = os.environ.get(DISABLE_ENV, "")
    return {part.strip() for part in raw.replace(";", ",").split(",") if part.strip()}


_ENTRY_POINT_CACHE: dict[tuple[str, ...], dict[str, list[metadata.EntryPoint]]] = {}


def _swift_entry_points() -> dict[str, list[metadata.EntryPoint]]:
    """Every ``swift.*`` entry point by group, from one scan of the installed distributions.

    Scanning costs a read of every distribution's metadata, so it is done once per
    ``sys.path`` (tests that add fake distributions to ``sys.path`` get a new scan).
    """
    key = tuple(sys.path)
    cached = _ENTRY_POINT_CACHE.get(key)
    if cached is None:
        cached = {}
        seen: set[str] = set()
        for dist in metadata.distributions():
            # _normalized_name comes from the folder name: no METADATA parse (that is the slow part).
            name = getattr(dist, "_normalized_name", None) or dist.metadata["Name"] or ""
            name = name.lower().replace("_", "-")
            if name in seen:  # the first one on sys.path wins, as with entry_points()
                continue
            seen.add(name)
            for ep in dist.entry_points:
                if ep.group.startswith("swift."):
                    cached.setdefault(ep.group, []).append(ep)
        _ENTRY_POINT_CACHE.clear()
        _ENTRY_POINT_CACHE[key] = cached
    return cached


def entry_point_sources(group: str) -> list[PluginSource]:
    """One source per distinct module listed under ``group``, in a stable order."""
    sources: dict[str, PluginSource] = {}
    for ep in sorted(_swift_entry_points().get(group, []), key=lambda e: (e.name, e.value)):
        module = ep.value.split(":", 1)[0]
        dist = getattr(ep, "dist", None)
        source = sources.get(module)
        if source is None:
            source = PluginSource(
                name=ep.name,
                kind="entry_point",
                target=module,
                distribution=dist.name if dist is not None else None,
                version=dist.version if dist is not None else None,
            )
            sources[module] = source
        source.groups.add(group)
    return list(sources.values())


def import_entry_point_module(source: PluginSource) -> ModuleType:
    """Import the hooks module an entry point names."""
    return importlib.import_module(source.target)


def external_plugin_paths(explicit: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Plugin files named on the command line plus those inherited through the environment.

    Files named explicitly are exported in ``SWIFT_EXTERNAL_PLUGINS`` so that
    subprocesses (torchrun ranks, server workers) load them again.
    """
    inherited = [p for p in os.environ.get(EXTERNAL_ENV, "").split(os.pathsep) if p]
    paths: list[str] = []
    for raw in [*inherited, *explicit]:
        path = str(Path(raw).expanduser().resolve())
        if path not in paths:
            paths.append(path)
    if explicit:
        os.environ[EXTERNAL_ENV] = os.pathsep.join(paths)
    return paths


def file_source(path: str) -> PluginSource:
    """The source of a plugin file given with ``--external_plugins``."""
    return PluginSource(name=path, kind="file", target=path)


def import_plugin_file(path: str) -> ModuleType:
    """Import a ``.py`` file (or a package directory) as a uniquely named module."""
    file = Path(path)
    if file.is_dir():
        file = file / "__init__.py"
    if not file.is_file():
        raise FileNotFoundError(f"plugin file {path} does not exist")
    digest = hashlib.sha1(str(file).encode()).hexdigest()[:8]
    module_name = f"swift_external_{file.stem if file.stem != '__init__' else file.parent.name}_{digest}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, file)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import plugin file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    # Let the file import its siblings, as ms-swift's custom_register_path files do.
    sys.path.insert(0, str(file.parent))
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    finally:
        sys.path.remove(str(file.parent))
    return module
