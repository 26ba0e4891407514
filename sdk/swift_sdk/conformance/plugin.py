"""Load the plugin under test the way ``swift`` does and check its records.

:func:`load_plugin` builds a kernel over everything installed (so clashes with
other plugins show), finds the plugin by its hooks module — through its entry
points when it is installed, else by registering the module in-process — and
collects the records it yields per family. :func:`check_records` then checks
what every family shares: the plugin loads, names are unique, nothing clashes
with an installed name unless declared, and the entry-point groups match the hooks.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import swift.kernel as kernel_module
from swift.kernel import ConflictError
from swift.kernel.families import FAMILIES, get_family
from swift.kernel.manager import DISABLED, FAILED, Kernel, PluginInfo
from swift.kernel.markers import PROJECT_NAME
from swift.kernel.records import Record
from swift_sdk.conformance.errors import fail

_HOOK_FAMILIES = {f.hook: f.name for f in FAMILIES.values()}


def _normalize(name: str | None) -> str:
    return re.sub(r"[-_.]+", "-", name or "").lower()


@dataclass
class PluginUnderTest:
    """A plugin as the kernel sees it, with the records it yields.

    Attributes:
        module: Import name of its hooks module.
        kernel: A kernel with every installed plugin plus this one.
        info: The kernel's view of the plugin (status, groups, error).
        records: Its records per family (the ones it yields, provider stamped).
        clashes: ``(family, name) -> providers`` of names another plugin (or a
            built-in) registers too.
        hook_families: Families whose registration hook the module implements.
    """

    module: str
    kernel: Kernel
    info: PluginInfo
    records: dict[str, list[Record]] = field(default_factory=dict)
    clashes: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    hook_families: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How messages name the plugin: ``swift_acme.hooks (swift-acme)``."""
        dist = self.info.source.distribution
        return f"{self.module} ({dist})" if dist else self.module

    def of(self, family: str) -> list[Record]:
        """Records of ``family`` (``[]`` when it yields none)."""
        return list(self.records.get(family, ()))

    def record(self, family: str, name: str) -> Record:
        """The record called ``name`` in ``family``."""
        for record in self.of(family):
            if record.name == name:
                return record
        known = ", ".join(r.name for r in self.of(family)) or "none"
        raise fail(self.label, f"yields no {family} record {name!r} (it yields: {known})")

    @contextlib.contextmanager
    def active(self) -> Iterator[Kernel]:
        """Install this plugin's kernel as the process-wide one for the block."""
        previous = kernel_module.set_kernel(self.kernel)
        try:
            yield self.kernel
        finally:
            kernel_module.set_kernel(previous)


def _hook_families(plugin: Any) -> tuple[str, ...]:
    found = []
    for hook, family in _HOOK_FAMILIES.items():
        if hasattr(getattr(plugin, hook, None), f"{PROJECT_NAME}_impl"):
            found.append(family)
    return tuple(found)


def _find(kernel: Kernel, module: str) -> PluginInfo | None:
    for info in kernel.plugins():
        if info.source.target == module and info.source.kind in ("entry_point", "builtin"):
            return info
    return None


def load_plugin(module: str, *, distribution: str | None = None) -> PluginUnderTest:
    """Load the plugin whose hooks module is ``module``, next to everything installed.

    Args:
        module: Import name of the hooks module (``swift_acme.hooks``).
        distribution: The distribution that should list it in its entry points;
            when given, the plugin must be installed (``pip install -e .``).

    Raises:
        ConformanceError: The module cannot be imported, the plugin fails to load or
            register, or ``distribution`` does not list it.
    """
    kernel = Kernel(strict=False)
    kernel.load_everything()
    info = _find(kernel, module)
    if info is None and distribution:
        raise fail(
            module,
            f"no installed distribution lists it under a swift.* entry-point group; expected "
            f"{distribution} to (is it installed? run `pip install -e .` in the plugin folder; is "
            f'the group quoted, as in [project.entry-points."swift.tuners"]?)',
        )
    if info is not None and distribution and _normalize(info.source.distribution) != _normalize(distribution):
        raise fail(module, f"is listed by distribution {info.source.distribution!r}, not {distribution!r}")
    if info is None:
        try:
            imported = importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - reported to the author
            raise fail(module, f"cannot be imported: {type(exc).__name__}: {exc}") from exc
        info = kernel.register(imported, name=module)
        kernel.load_everything()
    if info.status == DISABLED:
        raise fail(module, "is disabled by SWIFT_DISABLE_PLUGINS; unset it to test the plugin")
    if info.status == FAILED:
        raise fail(module, str(info.error))
    plugin = PluginUnderTest(module, kernel, info, hook_families=_hook_families(importlib.import_module(module)))
    for family in FAMILIES:
        plugin.records[family] = _own_records(kernel, info, family)
    if info.status == FAILED:  # a hook may raise or yield bad records while collected
        raise fail(module, str(info.error))
    plugin.clashes = _clashes(plugin)
    return plugin


def _own_records(kernel: Kernel, info: PluginInfo, family: str) -> list[Record]:
    registry = kernel.registry(family)
    records = []
    for name in info.provides.get(family, ()):
        try:
            records.append(registry.get(name))
        except ConflictError:
            candidates = registry.conflicts().get(name, [])
            records += [r for r in candidates if r.provider and r.provider.plugin == info.name]
    return records


def _clashes(plugin: PluginUnderTest) -> dict[tuple[str, str], list[str]]:
    """Names of the plugin that the installation without it already has.

    None for swift's builtins: any plugin may take over their names, by design.
    """
    if plugin.info.source.kind == "builtin":
        return {}
    disabled = set(plugin.kernel.disabled) | {plugin.info.name}
    others = Kernel(strict=False, disabled=disabled)
    found: dict[tuple[str, str], list[str]] = {}
    for family, records in plugin.records.items():
        if not records:
            continue
        registry = others.registry(family)
        for record in records:
            for name in record.names:
                if name in registry:
                    found[(family, name)] = [_provider_of(registry, name)]
    return found


def _provider_of(registry: Any, name: str) -> str:
    try:
        existing = registry.get(name)
    except ConflictError as exc:
        return " and ".join(exc.providers)
    provider = existing.provider
    if provider is None:
        return "another plugin"
    if provider.is_builtin:
        return f"swift's built-in {existing.name!r}"
    return f"{provider.describe()} as {existing.name!r}"


def check_records(plugin: PluginUnderTest, *, overrides: Sequence[str] = ()) -> None:
    """Records are valid and unique, clash with nothing installed, and match the entry points.

    Args:
        plugin: From :func:`load_plugin`.
        overrides: Names the plugin means to take over from a built-in or another
            plugin (a record with a built-in's name replaces it).

    Raises:
        ConformanceError: Naming the plugin, the record and what is wrong.
    """
    if not any(plugin.records.values()):
        raise fail(
            plugin.label,
            "yields no records: implement a registration hook (swift_register_tuners …) decorated "
            "with @swift.kernel.hookimpl that yields records",
        )
    for family, records in plugin.records.items():
        seen: dict[str, str] = {}
        for record in records:
            record.validate()  # the kernel validated already; keeps this check self-contained
            for name in record.names:
                if name.lower() in seen:
                    raise fail(
                        plugin.label,
                        f"the name {name!r} is used twice in {family} "
                        f"(by {seen[name.lower()]!r} and "
                        f"{record.name!r}); names and aliases must be unique",
                        family=family,
                        record=record.name,
                    )
                seen[name.lower()] = record.name
            for name in record.names:
                clash = plugin.clashes.get((family, name))
                if clash and name not in overrides:
                    raise fail(
                        plugin.label,
                        f"the name {name!r} is already provided by {clash[0]}; "
                        "pick another name, or "
                        f"declare the takeover (overrides = ({name!r},) in your conformance class)",
                        family=family,
                        record=record.name,
                    )
    _check_groups(plugin)


def _check_groups(plugin: PluginUnderTest) -> None:
    source = plugin.info.source
    if source.kind != "entry_point":
        return
    for family in plugin.hook_families:
        group = get_family(family).group
        if group and group not in source.groups:
            raise fail(
                plugin.label,
                f"implements {get_family(family).hook} but its distribution lists "
                f"no {group!r} entry "
                f'point, so swift never asks it for {family}; add [project.entry-points."{group}"] '
                f'{source.name} = "{plugin.module}" to pyproject.toml and reinstall',
            )
    for group in sorted(source.groups):
        family = group.split(".", 1)[1]
        if family not in plugin.hook_families:
            raise fail(
                plugin.label,
                f"is listed under {group!r} but implements no {get_family(family).hook}; "
                "remove the entry point or add the hook",
            )
