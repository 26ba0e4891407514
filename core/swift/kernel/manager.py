"""The kernel: a typed wrapper around pluggy's PluginManager.

It imports and registers every plugin inside its own guard, collects the records
each plugin yields per family, and hands out one :class:`Registry` per family.
Families are loaded lazily: ``swift --help`` touches only ``swift.commands``.
"""

from __future__ import annotations

import sys
import traceback as tb
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pluggy

from swift.hookspecs import SPEC_MODULES
from swift.hookspecs.services import SERVICE_FAMILIES
from swift.kernel import loader
from swift.kernel.errors import PluginLoadError, closest
from swift.kernel.families import FAMILIES, Family, get_family
from swift.kernel.markers import PROJECT_NAME
from swift.kernel.records import Provider, Record
from swift.kernel.registries import Registry

ACTIVE, DISABLED, FAILED, CONFLICT = "active", "disabled", "failed", "conflict"
_REGISTRATION_HOOKS = {f.hook for f in FAMILIES.values()}
# every hook a spec module declares (registration hooks, service seams, swift_check_args)
_HOOK_NAMES = {name for module in SPEC_MODULES for name in vars(module) if name.startswith("swift_")}
# Registration hooks are called plugin by plugin (one guard each), not through pluggy's
# fan-out, so these hookimpl options could never take effect there: refuse them.
_UNSUPPORTED_ON_REGISTRATION = ("tryfirst", "trylast", "wrapper", "hookwrapper", "specname")


@dataclass
class PluginInfo:
    """What the kernel knows about one plugin; ``swift plugins list`` prints these.

    Attributes:
        source: Where the plugin came from.
        status: ``active``, ``disabled``, ``failed`` or ``conflict``.
        provides: Names it registered, per family.
        error: One-line reason when failed.
        traceback: Full traceback when failed (shown with ``-v``).
        module_path: File of the hooks module.
    """

    source: loader.PluginSource
    status: str = ACTIVE
    provides: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None
    traceback: str | None = None
    module_path: str | None = None

    @property
    def name(self) -> str:
        """The plugin's name (entry-point name, ``builtin:…`` or a file path)."""
        return self.source.name


class Kernel:
    """Plugins, their records and the per-family registries of one process.

    Args:
        builtins: Import names of the builtin plugin modules, registered first and
            overridable by any other plugin.
        use_entry_points: Discover installed plugins through entry points.
        external_plugins: Plugin ``.py`` files (``--external_plugins``).
        strict: Raise instead of reporting a broken plugin; default from
            ``SWIFT_PLUGINS_STRICT``.
        disabled: Plugin or distribution names not to load; default from
            ``SWIFT_DISABLE_PLUGINS``.
    """

    def __init__(
        self,
        *,
        builtins: Sequence[str] | None = None,
        use_entry_points: bool = True,
        external_plugins: Sequence[str] = (),
        strict: bool | None = None,
        disabled: Iterable[str] | None = None,
    ) -> None:
        from swift.builtins import BUILTIN_PLUGINS

        self.strict = loader.env_flag(loader.STRICT_ENV) if strict is None else strict
        self.disabled = loader.disabled_names() if disabled is None else set(disabled)
        self.use_entry_points = use_entry_points
        self._pm = pluggy.PluginManager(PROJECT_NAME)
        for spec_module in SPEC_MODULES:
            self._pm.add_hookspecs(spec_module)
        self._plugins: dict[str, PluginInfo] = {}
        self._by_target: dict[str, PluginInfo] = {}
        self._loaded_groups: set[str] = set()
        self._records: dict[tuple[str, str], list[Record]] = {}
        self._registries: dict[str, Registry] = {}
        for module in BUILTIN_PLUGINS if builtins is None else builtins:
            short = module.rsplit(".", 1)[-1]
            self._add(loader.PluginSource(name=f"builtin:{short}", kind="builtin", target=module))
        self.add_plugin_files(external_plugins)

    # -- adding plugins -------------------------------------------------------------
    def add_plugin_files(self, paths: Sequence[str]) -> None:
        """Load plugin files (and those inherited from ``SWIFT_EXTERNAL_PLUGINS``)."""
        new = [p for p in loader.external_plugin_paths(tuple(paths)) if p not in self._by_target]
        for path in new:
            self._add(loader.file_source(path))
        if new:
            self._registries.clear()

    def register(
        self, plugin: Any, name: str, *, distribution: str | None = None, version: str | None = None
    ) -> PluginInfo:
        """Register an already imported module or object as a plugin of every family."""
        source = loader.PluginSource(name=name, kind="object", target=name, distribution=distribution, version=version)
        info = self._add(source, plugin=plugin)
        self._registries.clear()
        return info

    def load_families(self, *families: str) -> None:
        """Discover and import the entry points of the given families' groups."""
        for family in families:
            group = get_family(family).group
            if not group or group in self._loaded_groups:
                continue
            self._loaded_groups.add(group)
            if not self.use_entry_points:
                continue
            for source in loader.entry_point_sources(group):
                known = self._by_target.get(source.target)
                if known is not None:  # one module under several groups: registered once
                    known.source.groups.add(group)
                    continue
                self._add(source)
            self._registries.pop(family, None)
            self._registries.pop("arguments", None)

    def _add(self, source: loader.PluginSource, plugin: Any = None) -> PluginInfo:
        info = PluginInfo(source=source)
        self._plugins[source.name] = info
        self._by_target[source.target] = info
        if {source.name, source.distribution} & self.disabled:
            info.status = DISABLED
            return info
        try:
            if plugin is None:
                if source.kind == "file":
                    plugin = loader.import_plugin_file(source.target)
                else:
                    plugin = loader.import_entry_point_module(source)
            info.module_path = getattr(plugin, "__file__", None)
            self._check_hook_names(plugin)
            self._pm.register(plugin, name=source.name)
        except Exception as exc:  # noqa: BLE001 - containment is the point
            self._fail(info, f"failed to load: {type(exc).__name__}: {exc}", exc)
        return info

    def _check_hook_names(self, plugin: Any) -> None:
        """Reject misspelled hooks, undecorated hook functions and options that would do nothing."""
        for attr in dir(plugin):
            if not attr.startswith("swift_"):
                continue
            value = getattr(plugin, attr, None)
            if not callable(value):
                continue
            opts = getattr(value, f"{PROJECT_NAME}_impl", None)
            marked = opts is not None
            if attr not in _HOOK_NAMES and (marked or attr.startswith(("swift_register", "swift_load"))):
                guess = closest(attr, _HOOK_NAMES)
                hint = f" (did you mean {guess}?)" if guess else ""
                raise ValueError(f"unknown hook {attr}{hint}")
            if attr in _HOOK_NAMES and not marked:
                raise ValueError(f"{attr} is not decorated with @swift.kernel.hookimpl")
            if attr in _REGISTRATION_HOOKS:
                used = [o for o in _UNSUPPORTED_ON_REGISTRATION if opts.get(o)]
                if used:
                    raise ValueError(
                        f"@hookimpl({used[0]}=...) has no effect on {attr}: every plugin's records are "
                        "collected and a plugin's record overrides a builtin one of the same name; "
                        "drop the option (ordering options work on the service hooks of "
                        "swift.hookspecs.services)"
                    )

    def _fail(self, info: PluginInfo, message: str, exc: BaseException | None = None) -> None:
        first_failure = info.status != FAILED
        info.status = FAILED
        info.error = message if info.error is None else f"{info.error}; {message}"
        if exc is not None:
            info.traceback = "".join(tb.format_exception(exc))
        if self._pm.has_plugin(info.name):
            self._pm.unregister(name=info.name)
        # A failed plugin contributes nothing, also to registries built before it failed.
        self._registries.clear()
        label = info.name if not info.source.distribution else f"{info.name} ({info.source.distribution})"
        if self.strict:
            raise PluginLoadError(f"plugin {label} {message}") from exc
        if first_failure:
            print(
                f"swift: plugin {label} {message} — other plugins keep working; see `swift plugins list -v`",
                file=sys.stderr,
            )

    # -- records --------------------------------------------------------------------
    def _takes_part(self, info: PluginInfo, family: Family) -> bool:
        if info.status in (DISABLED, FAILED) or not self._pm.has_plugin(info.name):
            return False
        return (
            family.group is None
            or info.source.all_families
            or info.source.kind == "object"
            or (family.group in info.source.groups)
        )

    def _collect(self, info: PluginInfo, family: Family) -> list[Record]:
        key = (info.name, family.name)
        if key in self._records:
            return self._records[key]
        records: list[Record] = []
        provider = Provider(
            plugin="builtin" if info.source.kind == "builtin" else info.name,
            distribution=info.source.distribution,
            version=info.source.version,
            module=getattr(self._pm.get_plugin(info.name), "__name__", info.name),
        )
        impls = [i for i in getattr(self._pm.hook, family.hook).get_hookimpls() if i.plugin_name == info.name]
        try:
            seen: set[str] = set()
            for impl in impls:
                for record in impl.function() or ():
                    if not isinstance(record, family.record_type):
                        raise TypeError(
                            f"{family.hook} must yield {family.record_type.__name__} objects, "
                            f"got {type(record).__name__}"
                        )
                    record.validate()
                    if record.name in seen:
                        raise ValueError(f"{family.hook} yields {record.name!r} twice")
                    seen.add(record.name)
                    records.append(replace(record, provider=provider))
        except Exception as exc:  # noqa: BLE001
            self._fail(info, f"broke in {family.hook}: {type(exc).__name__}: {exc}", exc)
            records = []
        if records:
            info.provides[family.name] = sorted(r.name for r in records)
        self._records[key] = records
        return records

    def registry(self, family: str) -> Registry:
        """The registry of ``family``, loading its plugins first if needed."""
        fam = get_family(family)
        self.load_families(family)
        registry = self._registries.get(family)
        if registry is None:
            records = [
                rec
                for info in list(self._plugins.values())
                if self._takes_part(info, fam)
                for rec in self._collect(info, fam)
            ]
            failures = {
                i.source.distribution: i.error or ""
                for i in self._plugins.values()
                if i.status == FAILED and i.source.distribution
            }
            registry = self._registries[family] = Registry(fam, records, failures)
        return registry

    def call_service(self, hook: str, **kwargs: Any) -> Any:
        """Call the ``firstresult`` seam ``hook`` through pluggy, after loading its family's plugins.

        ``tryfirst``, ``trylast`` and wrappers on the implementations apply.

        Returns:
            The first non-``None`` answer, or ``None`` when no plugin answers.
        """
        self.load_families(SERVICE_FAMILIES[hook])
        return getattr(self._pm.hook, hook)(**kwargs)

    def check_args(self, command: str, args: Any) -> None:
        """Let every loaded plugin check the flags it owns (``swift_check_args``)."""
        self._pm.hook.swift_check_args(command=command, args=args)

    def conflicts(self) -> dict[str, dict[str, list[Record]]]:
        """Names registered by more than one plugin, per family, in the registries built so far.

        After :meth:`load_everything` that is every family.
        """
        out = {}
        for family in sorted(self._registries):
            found = self._registries[family].conflicts()
            if found:
                out[family] = found
        return out

    def plugins(self) -> list[PluginInfo]:
        """Every plugin seen so far; status ``conflict`` where a name clashes."""
        clashing = set()
        for family in self._registries.values():
            for providers in family.conflicts().values():
                clashing.update(r.provider.plugin for r in providers if r.provider)
        for info in self._plugins.values():
            if info.status == ACTIVE and info.name in clashing:
                info.status = CONFLICT
        return list(self._plugins.values())

    def load_everything(self) -> None:
        """Load every family (``swift plugins list``)."""
        for family in FAMILIES:
            self.registry(family)
