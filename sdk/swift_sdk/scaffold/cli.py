"""``swift plugins new NAME --family F``: the scaffold as a ``swift plugins`` subcommand."""

from __future__ import annotations

import argparse
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="swift plugins new", description="Write a ready-to-install swift plugin package."
    )
    parser.add_argument("name", help="plugin name: acme → distribution swift-acme, package swift_acme")
    parser.add_argument(
        "--family",
        action="append",
        required=True,
        help="family to implement (repeatable or comma-separated): models, templates, datasets, "
        "agent_templates, tuners, losses, rewards, schedulers, tools, engines, eval_backends, trainers, commands",
    )
    parser.add_argument("--output", default=".", help="folder to create swift-NAME/ in (default: .)")
    parser.add_argument("--force", action="store_true", help="overwrite files of an existing folder")
    return parser


def main(argv: Sequence[str]) -> int:
    """Run ``swift plugins new`` with ``argv`` (the tokens after ``new``)."""
    from swift_sdk.scaffold.create import create_plugin

    args = _parser().parse_args(list(argv))
    root = create_plugin(args.name, args.family, args.output, force=args.force)
    print(f"created {root}")
    print(f"next: pip install -e '{root}[test]' && swift plugins list && pytest {root}/tests")
    return 0
