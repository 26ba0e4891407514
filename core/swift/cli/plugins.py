"""``swift plugins``: list and check plugins; other actions are subcommand records.

``swift plugins list`` loads every family (hooks modules only: implementations
are not imported) and prints one row per plugin. ``swift plugins ACTION`` runs the
command record ``plugins-ACTION`` (``parent="plugins"``): ``swift plugins new`` is
contributed by swift-sdk that way, and the core only declares it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from swift import __version__
from swift.kernel import get_kernel, load_object
from swift.kernel.manager import CONFLICT, FAILED, PluginInfo
from swift.kernel.records import CommandRecord


def _subcommands() -> dict[str, CommandRecord]:
    records = get_kernel().registry("commands").records()
    return {r.name.removeprefix("plugins-"): r for r in records if r.parent == "plugins"}


def _parser(subcommands: dict[str, CommandRecord]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="swift plugins", description="Inspect the installed swift plugins.")
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = sub.add_parser("list", help="show every plugin, its status and what it provides")
    listing.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    listing.add_argument("--check", action="store_true", help="exit 1 if a plugin failed or conflicts")
    listing.add_argument("-v", "--verbose", action="store_true", help="module paths, names and tracebacks")
    for action, record in sorted(subcommands.items()):
        sub.add_parser(action, help=record.summary, add_help=False)
    return parser


def _distribution(info: PluginInfo) -> tuple[str, str]:
    if info.source.kind == "builtin":
        return "swift", __version__
    if info.source.kind == "file":
        return "(file)", ""
    return info.source.distribution or "", info.source.version or ""


def plugin_rows(infos: list[PluginInfo]) -> list[dict]:
    """JSON-ready description of each plugin, sorted by name."""
    rows = []
    for info in sorted(infos, key=lambda i: (i.source.kind != "builtin", i.name)):
        dist, version = _distribution(info)
        rows.append(
            {
                "name": info.name,
                "distribution": dist,
                "version": version,
                "status": info.status,
                "kind": info.source.kind,
                "groups": sorted(info.source.groups),
                "provides": {family: names for family, names in sorted(info.provides.items())},
                "module": info.source.target if info.source.kind != "file" else None,
                "path": info.module_path,
                "error": info.error,
                "traceback": info.traceback,
            }
        )
    return rows


def conflict_rows() -> list[dict]:
    """Names two or more plugins register, one row per family and name."""
    kernel = get_kernel()
    out = []
    for family, found in kernel.conflicts().items():
        for name, records in sorted(found.items()):
            out.append(
                {"family": family, "name": name, "providers": sorted(r.provider.plugin for r in records if r.provider)}
            )
    return out


def _table(rows: list[dict], verbose: bool) -> str:
    header = ("NAME", "DISTRIBUTION", "VERSION", "STATUS", "PROVIDES")
    body = []
    for row in rows:
        provides = ", ".join(f"{fam} {len(names)}" for fam, names in row["provides"].items()) or "-"
        body.append((row["name"], row["distribution"] or "-", row["version"] or "-", row["status"], provides))
    widths = [max(len(str(line[i])) for line in (header, *body)) for i in range(4)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(line[:4], widths)) + "  " + line[4] for line in (header, *body)]
    if verbose:
        for row in rows:
            lines.append("")
            lines.append(f"{row['name']}: {row['module'] or row['path']}  ({row['path']})")
            for family, names in row["provides"].items():
                lines.append(f"  {family}: {', '.join(names)}")
            if row["traceback"]:
                lines.append("  " + row["traceback"].rstrip().replace("\n", "\n  "))
    for row in rows:
        if row["error"]:
            lines.append(f"{row['name']}: {row['status']}: {row['error']}")
    return "\n".join(lines)


def list_plugins(as_json: bool = False, check: bool = False, verbose: bool = False) -> int:
    """``swift plugins list``: print the table (or JSON); with ``check``, 1 on a failed or conflicting plugin."""
    kernel = get_kernel()
    kernel.load_everything()
    rows = plugin_rows(kernel.plugins())
    conflicts = conflict_rows()
    if not verbose:
        for row in rows:
            row.pop("traceback")
    if as_json:
        json.dump({"plugins": rows, "conflicts": conflicts}, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
    else:
        print(_table(rows, verbose))
        for c in conflicts:
            print(f"conflict: {c['family']} {c['name']!r} is provided by {', '.join(c['providers'])}")
    bad = [r for r in rows if r["status"] in (FAILED, CONFLICT)]
    return 1 if check and (bad or conflicts) else 0


def main(argv: Sequence[str]) -> int:
    """Run ``swift plugins ACTION``."""
    argv = list(argv) or ["list"]
    subcommands = _subcommands()
    if argv[0] in subcommands:
        record = subcommands[argv[0]]
        return load_object(record.load, what=f"command 'swift plugins {argv[0]}'")(argv[1:])
    args = _parser(subcommands).parse_args(argv)
    if args.action == "list":
        return list_plugins(args.json, args.check, args.verbose)
    _parser(subcommands).print_help()
    return 2
