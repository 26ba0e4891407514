"""`swift deploy` overhead: HTTP server vs calling the engine directly, same engine, same run.

Usage:
    python bench/serve_throughput.py [--model PATH_OR_ID] [--concurrency 1 8 64] [--requests 0]
                                     [--max-tokens 16] [--max-batch-size 64] [--stream] [--json OUT]

Without ``--model`` a tiny offline Qwen3 is built (``swift_sdk.tiny``). One engine
is built as ``swift deploy`` builds it; for each concurrency level ``c``, ``c``
clients send the same greedy requests (a fixed prompt list, round robin) first
straight to ``engine.infer_async`` and then over HTTP to a real uvicorn server
(``swift_serve.app``) running on that engine in this process. The HTTP clients
run in a separate process, as real clients would, so they do not share this
process's interpreter lock with the server (bench/serve_load.py, one keep-alive
connection each). Reported per level: requests/s, generated tokens/s, p50/p99
latency (a request's full answer; with ``--stream``, its last SSE event), and
server/direct ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile

from serve_load import run_clients, summarize  # bench/ is on sys.path when run as a script

LOAD_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "serve_load.py")


def run_direct(engine, concurrency: int, total: int, max_tokens: int, stream: bool) -> dict[str, float]:
    """The engine's ``infer_async`` called by ``concurrency`` coroutines."""
    from swift.protocol import InferRequest, RequestConfig

    config = RequestConfig(max_tokens=max_tokens, temperature=0, stream=stream)

    async def call(prompt: str) -> int:
        result = await engine.infer_async(InferRequest(messages=[{"role": "user", "content": prompt}]), config)
        if not stream:
            return result.usage.completion_tokens
        usage = None
        async for chunk in result:
            usage = chunk.usage or usage
        return usage.completion_tokens if usage else 0

    return summarize(*asyncio.run(run_clients(call, concurrency, total)))


def run_server(url: str, model: str, concurrency: int, total: int, max_tokens: int, stream: bool) -> dict:
    """Start the client subprocess against ``url`` and read its JSON result."""
    argv = [
        sys.executable,
        LOAD_SCRIPT,
        url,
        model,
        "--concurrency",
        str(concurrency),
        "--requests",
        str(total),
        "--max-tokens",
        str(max_tokens),
    ]
    if stream:
        argv.append("--stream")
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model id or path (default: a tiny offline Qwen3)")
    parser.add_argument("--infer-backend", default="pt")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--requests", type=int, default=0, help="requests per level (0: max(32, 4 x clients))")
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--max-batch-size", type=int, default=64)
    parser.add_argument("--stream", action="store_true", help="stream answers (SSE) instead of whole responses")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from swift_serve.app import create_app
    from swift_serve.server import BackgroundServer

    from swift.arguments import DeployArguments
    from swift.pipelines.infer_engine import create_engine

    model = args.model
    if model is None:
        from swift_sdk.tiny import build_tiny_model

        model = str(build_tiny_model(os.path.join(tempfile.mkdtemp(), "tiny-qwen3")))
    deploy_args = DeployArguments(
        model=model,
        infer_backend=args.infer_backend,
        max_batch_size=args.max_batch_size,
        host="127.0.0.1",
        verbose=False,
        log_interval=0,
    )
    engine = create_engine(deploy_args)
    rows = []
    try:
        app = create_app(engine, deploy_args)
        served = app.state.server.catalog.default.name
        with BackgroundServer(app) as server:
            run_direct(engine, 1, 4, args.max_tokens, args.stream)  # warm-up: first generate calls are slower
            run_server(server.url, served, 1, 4, args.max_tokens, args.stream)
            for c in args.concurrency:
                total = args.requests or max(32, 4 * c)
                direct = run_direct(engine, c, total, args.max_tokens, args.stream)
                http = run_server(server.url, served, c, total, args.max_tokens, args.stream)
                rows.append({"concurrency": c, "direct": direct, "server": http})
    finally:
        engine.close()
    print_table(rows, model, args)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {
                    "model": model,
                    "max_tokens": args.max_tokens,
                    "stream": args.stream,
                    "rows": rows,
                },
                fh,
                indent=2,
            )
    return 0


def print_table(rows: list[dict], model: str, args: argparse.Namespace) -> None:
    """The results as an aligned table with server/direct ratios."""
    mode = "stream" if args.stream else "whole responses"
    print(
        f"model {model}, backend {args.infer_backend}, max_batch_size {args.max_batch_size}, "
        f"max_tokens {args.max_tokens}, greedy, {mode}"
    )
    head = (
        "clients",
        "reqs",
        "direct req/s",
        "server req/s",
        "ratio",
        "direct tok/s",
        "server tok/s",
        "direct p50 ms",
        "server p50 ms",
        "direct p99 ms",
        "server p99 ms",
    )
    print(" | ".join(head))
    for row in rows:
        d, s = row["direct"], row["server"]
        cells = (
            row["concurrency"],
            d["requests"],
            f"{d['req_s']:.1f}",
            f"{s['req_s']:.1f}",
            f"{s['req_s'] / d['req_s']:.2f}",
            f"{d['tok_s']:.0f}",
            f"{s['tok_s']:.0f}",
            f"{d['p50_ms']:.1f}",
            f"{s['p50_ms']:.1f}",
            f"{d['p99_ms']:.1f}",
            f"{s['p99_ms']:.1f}",
        )
        print(" | ".join(str(c).rjust(len(h)) for c, h in zip(cells, head)))


if __name__ == "__main__":
    sys.exit(main())
