"""``swift models``: the model catalogue — every model type with its architectures and template.

Also reached as ``swift sft --model_type list`` (any command with ``--model_type``). Reads
the records of the ``models`` and ``templates`` families only: nothing is imported.

Columns: the model type, the plugin that registers it, its default template, what that
template is checked against (``TemplateRecord.parity``: "published Jinja template" for the
built-in families), the ``config.json`` architectures that select it, and its tags.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from swift.kernel import get_kernel


def catalogue(pattern: str = "") -> list[dict]:
    """One row per model type whose name, architectures, template or tags contain ``pattern``."""
    kernel = get_kernel()
    kernel.load_families("models", "templates")
    templates = {r.name: r for r in kernel.registry("templates").records()}
    rows = []
    for record in sorted(kernel.registry("models").records(), key=lambda r: r.name):
        template = templates.get(record.template)
        row = {
            "model_type": record.name,
            "plugin": (record.provider.distribution or record.provider.plugin) if record.provider else "",
            "template": record.template or "-",
            "parity": (template.parity if template else "") or "-",
            "architectures": list(record.architectures),
            "config_model_types": list(record.config_model_types),
            "tags": list(record.tags),
            "summary": record.summary,
        }
        haystack = " ".join([record.name, row["template"], *record.architectures, *record.tags]).lower()
        if pattern.lower() in haystack:
            rows.append(row)
    return rows


def _table(rows: list[dict]) -> str:
    header = ("MODEL_TYPE", "PLUGIN", "TEMPLATE", "CHECKED AGAINST", "ARCHITECTURES")
    body = [
        (r["model_type"], r["plugin"], r["template"], r["parity"], ", ".join(r["architectures"]) or "(any)")
        for r in rows
    ]
    widths = [max(len(line[i]) for line in (header, *body)) for i in range(4)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line[:4], widths)) + "  " + line[4] for line in (header, *body)
    )


def main(argv: Sequence[str]) -> int:
    """Run ``swift models [PATTERN] [--json]``."""
    parser = argparse.ArgumentParser(prog="swift models", description="List the model types swift knows.")
    parser.add_argument("pattern", nargs="?", default="", help="only types whose name, architecture or tag has it")
    parser.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    args = parser.parse_args(list(argv))
    rows = catalogue(args.pattern)
    if args.json:
        json.dump({"models": rows}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(_table(rows))
        print(
            f"\n{len(rows)} model types. A checkpoint that matches none loads as causal_lm with its own chat template."
        )
    return 0
