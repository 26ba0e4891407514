"""What the request validation layer of ``swift deploy`` costs: the server with and without it, same run.

Usage:
    python bench/serve_validation.py [--model PATH] [--concurrency 1 64 256] [--requests 0]
                                     [--max-tokens 1] [--rounds 3] [--json OUT]

One engine (a tiny offline Qwen3 unless ``--model``) serves two apps in this process:

* ``after``  — ``swift_serve.app.create_app`` as shipped: the body read within
  ``--max_request_bytes``, JSON depth and Unicode checks, the pydantic request models,
  the operator's limits;
* ``before`` — the same app with that layer swapped for the bare minimum
  (``json.loads`` of the body and the protocol objects built straight from the dict),
  i.e. the server as it was before the layer.

For each concurrency level the clients (bench/serve_load.py, a separate process with
one keep-alive connection per client) send the same greedy chat requests to one and
then the other, alternating for ``--rounds`` rounds; the median of the rounds is
reported. ``--max-tokens 1`` keeps generation short so the layer's share is as large
as it can be. Output: requests/s and p50/p99 latency of both, and after/before.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile

from serve_throughput import run_server  # bench/ is on sys.path when run as a script


def without_validation(app) -> None:
    """Swap the validation layer of ``app``'s server for a bare ``json.loads`` + protocol objects."""
    import swift_serve.app as app_module
    from swift_serve.bodies import ParsedRequest

    from swift.protocol import InferRequest, RequestConfig

    server = app.state.server

    async def read_json(request):
        return json.loads(await request.body())

    def parse_chat(body, rules):
        config = RequestConfig(
            max_tokens=body.get("max_tokens"), temperature=body.get("temperature"), stream=bool(body.get("stream"))
        ).with_defaults(rules.defaults)
        return ParsedRequest(body.get("model"), [InferRequest(messages=body["messages"])], config)

    server.read_json = read_json
    app_module.parse_chat = parse_chat  # the route looks the name up in the module when called


def layer_cost_us(rules, repeats: int = 20000) -> dict[str, float]:
    """Microseconds per request body spent in the layer and in the bare parse it replaces (no HTTP, no engine)."""
    import time

    from swift_serve.bodies import parse_chat, parse_json

    from swift.protocol import InferRequest, RequestConfig

    raw = json.dumps(
        {"model": "m", "messages": [{"role": "user", "content": "What is the weather today?"}], "max_tokens": 1,
         "temperature": 0}
    ).encode()  # fmt: skip

    def layer():
        parse_chat(parse_json(raw, rules.max_json_depth), rules)

    def bare():
        body = json.loads(raw)
        RequestConfig(max_tokens=body["max_tokens"], temperature=body["temperature"]).with_defaults(rules.defaults)
        InferRequest(messages=body["messages"])

    out = {}
    for name, fn in (("layer", layer), ("bare", bare)):
        for _ in range(1000):
            fn()
        start = time.process_time()
        for _ in range(repeats):
            fn()
        out[name] = 1e6 * (time.process_time() - start) / repeats
    return out


def median_row(results: list[dict]) -> dict:
    """Per metric, the median over rounds."""
    return {key: statistics.median(r[key] for r in results) for key in ("req_s", "p50_ms", "p99_ms")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="model path (default: a tiny offline Qwen3)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64, 256])
    parser.add_argument("--requests", type=int, default=0, help="requests per level and round (0: max(64, 4 x c))")
    parser.add_argument("--max-tokens", type=int, default=1)
    parser.add_argument("--max-batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import swift_serve.app as app_module
    from swift_serve.server import BackgroundServer

    from swift.arguments import DeployArguments
    from swift.pipelines.infer_engine import create_engine

    model = args.model
    if model is None:
        from swift_sdk.tiny import build_tiny_model

        model = str(build_tiny_model(os.path.join(tempfile.mkdtemp(), "tiny-qwen3")))
    deploy_args = DeployArguments(
        model=model, max_batch_size=args.max_batch_size, host="127.0.0.1", verbose=False, log_interval=0
    )
    engine = create_engine(deploy_args)
    shipped_parse = app_module.parse_chat
    rows = []
    try:
        after = app_module.create_app(engine, deploy_args)
        before = app_module.create_app(engine, deploy_args)
        served = after.state.server.catalog.default.name
        with BackgroundServer(after) as after_server, BackgroundServer(before) as before_server:
            urls = {"after": after_server.url, "before": before_server.url}
            original_read = before.state.server.read_json

            def use(kind: str) -> None:
                # parse_chat is a module name both apps share: set it for the app measured next
                if kind == "before":
                    without_validation(before)
                else:
                    app_module.parse_chat = shipped_parse
                    before.state.server.read_json = original_read

            for kind in ("before", "after"):  # warm-up
                use(kind)
                run_server(urls[kind], served, 1, 8, args.max_tokens, False)
            for c in args.concurrency:
                total = args.requests or max(64, 4 * c)
                results: dict[str, list[dict]] = {"before": [], "after": []}
                for _ in range(args.rounds):
                    for kind in ("before", "after"):
                        use(kind)
                        results[kind].append(run_server(urls[kind], served, c, total, args.max_tokens, False))
                rows.append({"concurrency": c, "requests": total, **{k: median_row(v) for k, v in results.items()}})
        costs = layer_cost_us(after.state.server.rules)
    finally:
        app_module.parse_chat = shipped_parse
        engine.close()
    print(
        f"per request body, CPU: validation layer {costs['layer']:.1f} us, bare parse {costs['bare']:.1f} us "
        f"(the layer adds {costs['layer'] - costs['bare']:.1f} us)"
    )
    print(f"model {model}, max_tokens {args.max_tokens}, greedy, median of {args.rounds} alternating rounds")
    print(
        "clients | reqs | before req/s | after req/s | after/before | before p50 | after p50 | before p99 | after p99"
    )
    for row in rows:
        b, a = row["before"], row["after"]
        print(
            f"{row['concurrency']:>7} | {row['requests']:>4} | {b['req_s']:>12.1f} | {a['req_s']:>11.1f} | "
            f"{a['req_s'] / b['req_s']:>12.3f} | {b['p50_ms']:>10.1f} | {a['p50_ms']:>9.1f} | "
            f"{b['p99_ms']:>10.1f} | {a['p99_ms']:>9.1f}"
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"model": model, "max_tokens": args.max_tokens, "layer_us": costs, "rows": rows}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
