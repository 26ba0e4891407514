"""Write a ready-to-install plugin package: ``swift plugins new NAME --family F``."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from swift.kernel.errors import UsageError
from swift_sdk.scaffold import snippets_light as light
from swift_sdk.scaffold import snippets_torch as heavy
from swift_sdk.scaffold.spec import FamilySnippet

SNIPPETS: dict[str, FamilySnippet] = {
    s.family: s
    for s in (
        heavy.MODELS,
        light.TEMPLATES,
        light.AGENT_TEMPLATES,
        light.DATASETS,
        heavy.TUNERS,
        heavy.LOSSES,
        light.REWARDS,
        light.SCHEDULERS,
        light.TOOLS,
        heavy.ENGINES,
        light.EVAL_BACKENDS,
        heavy.TRAINERS,
        light.COMMANDS,
    )
}
#: Families ``--family`` accepts, in the order records appear in the generated hooks module.
FAMILIES: tuple[str, ...] = tuple(SNIPPETS)
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")


@dataclass(frozen=True)
class PluginNames:
    """The names one plugin goes by.

    Attributes:
        name: Entry-point and record name (``acme``).
        dist: Distribution (``swift-acme``).
        pkg: Import package (``swift_acme``).
        ident: ``name`` as a Python identifier (``acme``).
        camel: ``Acme`` for class names.
    """

    name: str
    dist: str
    pkg: str
    ident: str
    camel: str

    @classmethod
    def of(cls, raw: str) -> PluginNames:
        """Names for ``raw`` (``acme``, ``swift-acme`` and ``swift_acme`` give the same)."""
        name = re.sub(r"^swift[-_]", "", raw.strip().lower())
        if not _NAME.match(name):
            raise UsageError(
                f"plugin name {raw!r} is not valid: use lowercase letters, digits "
                "and single - or _ "
                "(starting with a letter), e.g. acme or acme-tools"
            )
        ident = name.replace("-", "_")
        camel = "".join(part.capitalize() for part in ident.split("_"))
        return cls(name, f"swift-{name.replace('_', '-')}", f"swift_{ident}", ident, camel)


def parse_families(values: Iterable[str]) -> list[str]:
    """``--family`` values (repeatable, comma-separated) → known family names, in order."""
    chosen: list[str] = []
    for value in values:
        for part in filter(None, (p.strip() for p in value.split(","))):
            family = part if part in SNIPPETS else f"{part}s" if f"{part}s" in SNIPPETS else None
            family = family or ("losses" if part == "loss" else None)
            if family is None:
                raise UsageError(f"unknown family {part!r}; choose from {', '.join(FAMILIES)}")
            if family not in chosen:
                chosen.append(family)
    if not chosen:
        raise UsageError(f"give at least one --family: {', '.join(FAMILIES)}")
    return [f for f in FAMILIES if f in chosen]


def _fill(text: str, names: PluginNames, families: list[str]) -> str:
    template = names.name if "templates" in families else "chatml"
    values = {
        "name": names.name,
        "dist": names.dist,
        "pkg": names.pkg,
        "ident": names.ident,
        "Camel": names.camel,
        "template": template,
    }
    return string.Template(text).substitute(values)


def render_plugin(raw_name: str, families: Iterable[str]) -> dict[str, str]:
    """Every file of the package, ``{relative path: text}``, without touching the disk."""
    from swift_sdk.scaffold.package_files import hooks_module, pyproject, readme, tests_module

    names = PluginNames.of(raw_name)
    chosen = parse_families(families)
    snippets = [SNIPPETS[f] for f in chosen]
    root = names.dist
    files = {
        f"{root}/pyproject.toml": pyproject(names, snippets),
        f"{root}/README.md": readme(names, snippets),
        f"{root}/{names.pkg}/__init__.py": (f'"""{names.dist}: a swift plugin."""\n\n__version__ = "0.1.0"\n'),
        f"{root}/{names.pkg}/hooks.py": hooks_module(names, snippets),
        f"{root}/tests/test_conformance.py": tests_module(names),
    }
    for snippet in snippets:
        for file, text in snippet.modules.items():
            files[f"{root}/{names.pkg}/{file}"] = text
        for file, text in (snippet.tests or {}).items():
            files[f"{root}/tests/{file}"] = text
    return {path: _fill(text, names, chosen) for path, text in files.items()}


def create_plugin(name: str, families: Iterable[str], output: str | Path = ".", *, force: bool = False) -> Path:
    """Write the package ``swift-NAME/`` under ``output`` and return its folder.

    Args:
        name: Plugin name (``acme``; ``swift-acme`` works too).
        families: Family names (``["rewards", "tuners"]`` or ``["rewards,tuners"]``).
        output: Folder to create the package in.
        force: Overwrite an existing folder's files.

    Raises:
        UsageError: For a bad name or family, or an existing folder without ``force``.

    Example::

        path = create_plugin("acme", ["rewards"], tmp_path)
        # tmp_path/swift-acme/{pyproject.toml, swift_acme/hooks.py, swift_acme/rewards.py, tests/ …}
    """
    files = render_plugin(name, families)
    root = Path(output) / PluginNames.of(name).dist
    if root.exists() and any(root.iterdir()) and not force:
        raise UsageError(f"{root} already exists and is not empty; pick another --output or pass --force")
    for rel, text in files.items():
        path = Path(output) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
