"""The code blocks of the docs run, and print what the docs say they print.

Marker convention (an HTML comment on the line before a fenced block):

* ``<!-- run -->`` — run the block: ``bash`` blocks with ``bash -euo pipefail``, ``python``
  blocks with the venv's interpreter;
* ``<!-- file: PATH -->`` — write the block to ``PATH`` (a ``pyproject.toml``, a module …);
* ``<!-- output -->`` — the block is the expected stdout of the previous run block; a
  line ``...`` stands for any number of lines, ``...`` inside a line for any text;
* ``<!-- skip: REASON -->`` — shown only (it needs the network, a GPU …); reported as a skip.

Each document runs top to bottom in its own empty folder, inside a fresh venv (see
tests/extensibility/freshvenv.py), so a tutorial's ``pip install -e`` never touches the
development environment; what a document installed is uninstalled afterwards. Pages of
docs/plugins written for this convention must mark every block; other Markdown files
(README.md, CONTRIBUTING.md, pages owned elsewhere) run only the blocks they mark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs" / "plugins").glob("*.md")) + [
    ROOT / "README.md",
    ROOT / "CONTRIBUTING.md",
]
# Pages written for the convention: every block carries a marker.
FULLY_MARKED = {
    "index.md",
    "tutorial.md",
    "models.md",
    "datasets.md",
    "tuners.md",
    "losses.md",
    "engines.md",
    "trainers.md",
    "commands.md",
    "testing.md",
    "troubleshooting.md",
}
_BLOCK = re.compile(r"(?:<!--\s*(?P<marker>[^>]*?)\s*-->\s*\n)?```(?P<lang>[\w-]*)\n(?P<body>.*?)```", re.S)


@dataclass
class Block:
    """One fenced block and what its marker asks for."""

    line: int
    lang: str
    body: str
    action: str  # run, file, output, skip or "" (unmarked)
    argument: str = ""


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of a Markdown file, in order, with their markers."""
    text = path.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        marker = (match.group("marker") or "").strip()
        action, _, argument = marker.partition(":")
        found.append(
            Block(
                text.count("\n", 0, match.start()) + 1,
                match.group("lang"),
                match.group("body"),
                action.strip(),
                argument.strip(),
            )
        )
    return found


def matches(expected: str, actual: str) -> bool:
    """``actual`` equals ``expected``, where a line ``...`` matches any number of lines and
    ``...`` inside a line matches any text on that line (doctest's ELLIPSIS)."""
    pattern = []
    for line in expected.splitlines():
        if line == "...":
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            pattern.append(r"[^\n]*".join(re.escape(part) for part in line.split("...")) + r"\n")
    return re.fullmatch("".join(pattern), actual) is not None


def _documents_with(action: str) -> list[Path]:
    return [p for p in DOCS if p.is_file() and any(b.action == action for b in blocks(p))]


@pytest.mark.parametrize("doc", [p for p in DOCS if p.name in FULLY_MARKED], ids=lambda p: p.name)
def test_every_block_of_a_convention_page_is_marked(doc):
    unmarked = [f"{doc.name}:{b.line}" for b in blocks(doc) if b.action not in ("run", "file", "output", "skip")]
    assert unmarked == [], f"blocks without <!-- run / file: / output / skip: --> markers: {unmarked}"


def test_the_convention_pages_exist():
    assert {p.name for p in DOCS} >= FULLY_MARKED | {"hooks.md"}


@pytest.mark.slow
@pytest.mark.parametrize("doc", _documents_with("run"), ids=lambda p: p.name)
def test_the_documented_examples_run(doc, docs_venv, tmp_path):
    before = docs_venv.distributions()
    last_stdout, last_line = None, 0
    try:
        for block in blocks(doc):
            where = f"{doc.name}:{block.line}"
            if block.action == "file":
                target = tmp_path / block.argument
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(block.body, encoding="utf-8")
            elif block.action == "run":
                program = (
                    ["bash", "-euo", "pipefail", "-c", block.body]
                    if block.lang in ("bash", "sh", "console")
                    else ["python", "-c", block.body]
                )
                # Offline: no index, and no isolated build env to download setuptools into
                # (pip reads PIP_NO_BUILD_ISOLATION=0 as "--no-build-isolation", inverted on purpose).
                # And not strict: the docs show what a user's default shell shows.
                proc = docs_venv.run(
                    *program,
                    cwd=tmp_path,
                    PIP_NO_INDEX="1",
                    PIP_NO_BUILD_ISOLATION="0",
                    SWIFT_PLUGINS_STRICT="0",
                )
                assert proc.returncode == 0, (
                    f"{where} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
                )
                last_stdout, last_line = proc.stdout, block.line
            elif block.action == "output":
                assert last_stdout is not None, f"{where}: an output block needs a run block before it"
                assert matches(block.body, last_stdout), (
                    f"{where}: the block at line {last_line} printed\n{last_stdout}\nbut the docs say\n{block.body}"
                )
    finally:
        added = docs_venv.distributions() - before
        if added:
            docs_venv.uninstall(*sorted(added))


@pytest.mark.parametrize(
    "doc, block",
    [(p, b) for p in DOCS if p.is_file() for b in blocks(p) if b.action == "skip"],
    ids=lambda v: v.name if isinstance(v, Path) else str(v.line),
)
def test_blocks_that_cannot_run_here_say_why(doc, block):
    assert block.argument, f"{doc.name}:{block.line}: <!-- skip: REASON --> needs a reason"
    pytest.skip(f"{doc.name}:{block.line}: {block.argument}")


def test_the_output_matcher_treats_ellipsis_as_any_lines_or_any_text():
    assert matches("a\n...\nz\n", "a\nb\nc\nz\n") and matches("a\n...\nz\n", "a\nz\n")
    assert matches("tuners ...\n", "tuners 6\n") and not matches("tuners ...\n", "tuners 6\nmore\n")
    assert not matches("a\nz\n", "a\nb\nz\n")
