"""Counts behind the contracts issue: how much of the code talks through contracts.

    python scripts/contract_counts.py [ROOT]

Prints, for the checkout at ROOT (default: this one), over non-test code:
functions whose ``args`` parameter is typed ``Any``, ``getattr(args, …)`` calls,
imports of another plugin's private modules (plugins, contrib, sdk), lines of
``core/`` naming a plugin package, copies of the shared helpers, and core lines.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

PLUGIN_PACKAGES = ("swift_transformers", "swift_peft", "swift_trl", "swift_serve", "swift_vllm", "swift_sdk")
# helper -> pattern of one implementation (definition or inline copy)
HELPERS = {
    "adapter-spec parsing": r'def parse_adapter_specs\(|\.split\("=", 1\)\[|str\(spec\)\.partition\("="\)',
    "stop-word splitting": r"def (_?split_stops)\(",
    "init_lora_weights spelling": r'"guassian"',
    "model-type detection": r"def select_model_record\(",
    "adapter merge": r"def merge_adapters\(",
}


def sources(root: Path) -> list[Path]:
    files = []
    for top in ("core", "plugins", "contrib", "sdk"):
        files += [p for p in (root / top).rglob("*.py") if "tests" not in p.parts]
    return files


def owner(path: Path, root: Path) -> str | None:
    rel = path.relative_to(root).parts
    for part in rel:
        if part in PLUGIN_PACKAGES or part.startswith("swift_"):
            return part
    return None


def main(root: Path) -> None:
    any_args = getattrs = private = core_names = 0
    plugin_names = re.compile(r"\b(" + "|".join(PLUGIN_PACKAGES) + r")\b")
    helpers = dict.fromkeys(HELPERS, 0)
    for path in sources(root):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for a in [*node.args.args, *node.args.kwonlyargs]:
                    if a.arg == "args" and isinstance(a.annotation, ast.Name) and a.annotation.id == "Any":
                        any_args += 1
            if isinstance(node, (ast.Import, ast.ImportFrom)) and path.parts[len(root.parts)] != "core":
                mods = [n.name for n in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.module:
                    mods += [f"{node.module}.{n.name}" for n in node.names]
                for mod in set(mods):
                    top, _, rest = mod.partition(".")
                    mine = owner(path, root)
                    if top in PLUGIN_PACKAGES and top != mine and rest and rest.split(".")[0] != "api":
                        if not (top == "swift_sdk" and mine is None):
                            private += 1
        getattrs += len(re.findall(r"getattr\(args,", text))
        if path.parts[len(root.parts)] == "core":
            core_names += sum(1 for line in text.splitlines() if plugin_names.search(line))
        for name, pattern in HELPERS.items():
            helpers[name] += len(re.findall(pattern, text, re.M))
    core_lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in (root / "core").rglob("*.py"))
    print(f"functions with `args: Any`          {any_args}")
    print(f"getattr(args, ...) calls            {getattrs}")
    print(f"imports of another plugin's private modules  {private}")
    print(f"core lines naming a plugin package  {core_names}")
    for name, count in helpers.items():
        print(f"copies of {name:<27}{count}")
    print(f"core lines                          {core_lines}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]).resolve())
