"""The client side of bench/serve_throughput.py: prompts, concurrent clients, a light HTTP client.

Run by serve_throughput.py as a subprocess, so the HTTP clients do not share the
server process's interpreter lock:

    python bench/serve_load.py URL MODEL --concurrency 8 --requests 32 --max-tokens 16 [--stream]

prints one JSON line: requests, req_s, tok_s, p50_ms, p99_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time

PROMPTS = (
    "hello",
    "What is the weather today in the city?",
    "one two three four",
    "Write python code to sum a list",
    "你好，世界",
    "Who are you?",
    "Please help me read a file",
    "Why does the loss go down?",
    "two plus two equals",
    "Thank you so much",
    "Tell me about the model",
    "What is a token?",
    "open the file and print it",
    "sum of one and two",
    "Is it good or bad?",
    "Where is China?",
)


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summarize(latencies: list[float], wall: float, tokens: int) -> dict[str, float]:
    """Requests/s, tokens/s, p50/p99 latency in ms."""
    return {
        "requests": len(latencies),
        "req_s": len(latencies) / wall,
        "tok_s": tokens / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * percentile(latencies, 0.99),
    }


async def run_clients(call, concurrency: int, total: int) -> tuple[list[float], float, int]:
    """``concurrency`` clients, each sending its next request as soon as the last is answered.

    Args:
        call: ``async fn(prompt) -> generated tokens`` making one request.
        concurrency: Number of clients.
        total: Requests in all (prompts taken round robin from :data:`PROMPTS`).

    Returns:
        Per-request latencies, the wall time and the generated tokens.
    """
    latencies: list[float] = []
    tokens = 0
    counter = iter(range(total))

    async def client() -> None:
        nonlocal tokens
        for i in counter:
            start = time.perf_counter()
            # not `tokens += await call(…)`: that reads `tokens` before awaiting and loses updates
            generated = await call(PROMPTS[i % len(PROMPTS)])
            latencies.append(time.perf_counter() - start)
            tokens += generated

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return latencies, time.perf_counter() - start, tokens


class HttpConnection:
    """A minimal HTTP/1.1 keep-alive client connection (JSON and chunked SSE bodies).

    Deliberately not httpx: at 64 concurrent connections httpx's connection pool
    costs more CPU than the server (measured on /v1/models: ~130 req/s through
    httpx, ~560 req/s through plain sockets), and this benchmark measures the server.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, url: str) -> HttpConnection:
        host, port = url.split("://", 1)[1].rsplit(":", 1)
        return cls(*await asyncio.open_connection(host, int(port)))

    async def post(self, path: str, payload: dict) -> tuple[int, bytes]:
        """Send a JSON POST; returns the status and the whole (de-chunked) body."""
        body = json.dumps(payload).encode()
        head = f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        self.writer.write(head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await self.writer.drain()
        status_line, *lines = (await self.reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
        if "content-length" in headers:
            return int(status_line.split()[1]), await self.reader.readexactly(int(headers["content-length"]))
        parts = []
        while True:  # chunked transfer encoding (SSE streams)
            size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
            data = await self.reader.readexactly(size + 2)
            if size == 0:
                return int(status_line.split()[1]), b"".join(parts)
            parts.append(data[:-2])

    def close(self) -> None:
        self.writer.close()


def run_http_clients(url: str, model: str, concurrency: int, total: int, max_tokens: int, stream: bool) -> dict:
    """The same requests over HTTP, one keep-alive connection per client (runs in the client subprocess)."""
    body = {"model": model, "max_tokens": max_tokens, "temperature": 0, "stream": stream}
    if stream:
        body["stream_options"] = {"include_usage": True}

    async def main():
        connections = [await HttpConnection.open(url) for _ in range(concurrency)]
        free = list(connections)

        async def call(prompt: str) -> int:
            connection = free.pop()
            try:
                status, data = await connection.post(
                    "/v1/chat/completions",
                    {**body, "messages": [{"role": "user", "content": prompt}]},
                )
            finally:
                free.append(connection)
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {data[:300]!r}")
            if not stream:
                return json.loads(data)["usage"]["completion_tokens"]
            events = [e[6:] for e in data.decode().split("\n\n") if e.startswith("data: {")]
            if not data.rstrip().endswith(b"data: [DONE]"):
                raise RuntimeError("the stream did not end with [DONE]")
            return json.loads(events[-1])["usage"]["completion_tokens"]

        try:
            return await run_clients(call, concurrency, total)
        finally:
            for connection in connections:
                connection.close()

    return summarize(*asyncio.run(main()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("model")
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--max-tokens", type=int, required=True)
    parser.add_argument("--stream", action="store_true")
    args = parser.parse_args()
    result = run_http_clients(args.url, args.model, args.concurrency, args.requests, args.max_tokens, args.stream)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
