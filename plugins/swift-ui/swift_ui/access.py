"""Who may open the interface: the bind address, the login, and launching gradio with them.

Private by default: 127.0.0.1. A non-local ``--server_name`` (or ``--share``) needs a login
(``--auth user:pass`` or ``$SWIFT_UI_AUTH``) unless ``--allow_public`` says an open
interface is meant — then a warning is printed. The interfaces run jobs and load weights
on this machine, so an open one is a remote shell for whoever finds the port.
"""

from __future__ import annotations

import errno
import socket
import sys
from typing import Any

from swift_serve.api import is_loopback

from swift.arguments.app import UI_AUTH_ENV
from swift.kernel import UsageError


def parse_auth(text: str | None) -> list[tuple[str, str]]:
    """``user:pass[,user2:pass2]`` as gradio's list of pairs (empty when unset).

    Raises:
        UsageError: An entry without ``:`` or with an empty user or password.
    """
    if not text:
        return []
    pairs = []
    for entry in text.split(","):
        user, sep, password = entry.strip().partition(":")
        if not sep or not user or not password:
            raise UsageError(f"--auth (or ${UI_AUTH_ENV}) takes user:password entries separated by commas")
        pairs.append((user, password))
    return pairs


def check_access(args: Any) -> None:
    """Refuse an interface reachable from other machines without a login (exit 2, before any work).

    Also refuses a port that cannot be bound, so the model is never loaded for nothing.
    """
    parse_auth(args.auth)
    exposed = args.share or not is_loopback(args.server_name)
    if exposed and not args.auth and not args.allow_public:
        where = "a public share link" if args.share else f"--server_name {args.server_name}"
        raise UsageError(
            f"{where} makes the interface reachable from other machines, and it can run jobs "
            f"and load weights here. Set a login with --auth user:password (or ${UI_AUTH_ENV}), "
            "or pass --allow_public to serve it without one."
        )
    family = socket.AF_INET6 if ":" in args.server_name else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((args.server_name, args.server_port))
        except OSError as exc:
            why = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be bound ({exc.strerror})"
            raise UsageError(f"{args.server_name}:{args.server_port} {why}; pass another --server_port") from exc


def launch(blocks: Any, args: Any, command: str, **kwargs: Any) -> Any:
    """Serve ``blocks`` with the address, login and share settings of ``args`` (blocks until closed)."""
    auth = parse_auth(args.auth) or None
    exposed = args.share or not is_loopback(args.server_name)
    if exposed and not auth:
        print(
            f"{command}: WARNING: serving {args.server_name}:{args.server_port} without a login "
            "(--allow_public): anyone who reaches it can run jobs on this machine.",
            file=sys.stderr,
        )
    shown = "127.0.0.1" if args.server_name in ("0.0.0.0", "::") else args.server_name
    print(f"{command}: open http://{shown}:{args.server_port}", file=sys.stderr, flush=True)
    return blocks.queue(default_concurrency_limit=8).launch(
        server_name=args.server_name,
        server_port=args.server_port,
        share=args.share,
        auth=auth,
        show_error=True,
        quiet=True,
        footer_links=[],
        **kwargs,
    )
