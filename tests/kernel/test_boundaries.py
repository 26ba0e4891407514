"""The package boundaries: the core names no plugin, plugins meet only through public modules.

The core reaches plugins through hooks and records (``swift.services``, registries);
a plugin (or the SDK, or a package the scaffold writes) may import another plugin
only through that plugin's documented public module, ``<package>.api``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_MODULE = "api"


def _packages() -> dict[str, Path]:
    """Import package → its folder, for every distribution in the repository but the core."""
    found = {}
    for pyproject in [*ROOT.glob("plugins/*/pyproject.toml"), *ROOT.glob("contrib/*/pyproject.toml")]:
        for package in pyproject.parent.glob("swift_*/__init__.py"):
            found[package.parent.name] = package.parent
    found["swift_sdk"] = ROOT / "sdk" / "swift_sdk"
    return found


PACKAGES = _packages()


def _imports(source: str, filename: str) -> list[tuple[int, str]]:
    names = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append((node.lineno, node.module))
            # `from swift_x import internal_module` names a private module too
            names += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return names


def _crossing(module: str, own: str) -> str | None:
    """The private module of another package that ``module`` names, if any."""
    top, _, rest = module.partition(".")
    if top not in PACKAGES or top == own:
        return None
    if rest == "" or rest.split(".")[0] == PUBLIC_MODULE:
        return None
    if top == "swift_sdk" and own not in PACKAGES:
        return None
    return module


def test_the_repository_has_the_plugin_packages_this_test_guards():
    assert {"swift_transformers", "swift_peft", "swift_trl", "swift_serve", "swift_vllm", "swift_sdk"} <= set(PACKAGES)


def test_no_core_module_names_a_plugin_module():
    pattern = re.compile(r"\b(" + "|".join(sorted(PACKAGES)) + r")\b")
    offenders = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "the core names plugin modules:\n" + "\n".join(offenders)


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_a_package_imports_other_plugins_only_through_their_public_module(package):
    offenders = []
    for path in sorted(PACKAGES[package].rglob("*.py")):
        for number, module in _imports(path.read_text(encoding="utf-8"), str(path)):
            crossing = _crossing(module, package)
            if crossing:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: imports {crossing}")
    assert not offenders, "private modules of another plugin imported:\n" + "\n".join(offenders)


def test_generated_scaffolds_import_other_plugins_only_through_their_public_module(tmp_path):
    from swift_sdk.scaffold import FAMILIES, create_plugin

    root = create_plugin("acme", FAMILIES, tmp_path)
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for number, module in _imports(path.read_text(encoding="utf-8"), str(path)):
            crossing = _crossing(module, "swift_acme")
            if crossing and not crossing.startswith("swift_sdk"):
                offenders.append(f"{path.relative_to(root)}:{number}: imports {crossing}")
    assert not offenders, "the scaffold imports private plugin modules:\n" + "\n".join(offenders)


def test_the_public_modules_name_only_what_exists():
    import importlib

    for package in ("swift_transformers", "swift_peft"):
        api = importlib.import_module(f"{package}.api")
        for name in api.__all__:
            assert getattr(api, name) is not None, f"{package}.api.{name}"
