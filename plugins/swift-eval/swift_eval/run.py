"""Body of ``swift eval``: build the backend, serve the model (or use ``--eval_url``), evaluate, write the run.

The backend is a record of the ``eval_backends`` family (``--eval_backend``, default
``lm_eval``; :class:`swift.contracts.EvalBackend`). Layout of a run (never overwriting another)::

    eval_output/<model>-<YYYYmmdd-HHMMSS>[-N]/
        results.json          the backend's results (lm-eval's layout for lm_eval)
        samples/<task>.jsonl  one line per evaluated sample (prompt, answer, target, metrics)
        data/<file>.jsonl     lm_eval: the clean rows of each local file (what lm-eval read)
        args.json, command.txt

Example::

    swift eval --model Qwen/Qwen2.5-0.5B-Instruct --eval_dataset my_mc.jsonl arc_easy --eval_limit 100
    swift eval --adapters output/v0-x/checkpoint-100 --eval_dataset my_qa.jsonl
    swift eval --eval_url http://host:8000/v1 --model served-name --api_key ... --eval_dataset gsm8k
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

from swift.contracts import EvalReport, EvalSettings, EvalTarget, load_eval_backend
from swift.kernel import UsageError


def eval_main(args: Any) -> dict[str, Any]:
    """Run ``swift eval`` for ``args`` (``EvalArguments``).

    Returns:
        ``{"output_dir", "results"}``: the run folder and the backend's ``results`` section.
    """
    # the backend checks (and fetches) its datasets: before a run folder exists and before the model loads
    backend = load_eval_backend(args.eval_backend)(EvalSettings.from_args(args))
    run_dir = _run_dir(args)
    with _target(args) as target:
        report = backend.evaluate(target, run_dir)
    _write(run_dir, args, report)
    print(report.table())
    print(f"swift eval: results in {os.path.join(run_dir, 'results.json')}")
    return {"output_dir": run_dir, "results": report.results.get("results", {})}


def _run_dir(args: Any) -> str:
    base = os.path.basename(str(args.model or "model").rstrip("/")) or "model"
    if args.adapters:
        base += "-" + os.path.basename(str(args.adapters[0]).split("=")[-1].rstrip("/"))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    os.makedirs(args.eval_output_dir, exist_ok=True)
    for n in range(1000):
        path = os.path.join(args.eval_output_dir, f"{base}-{stamp}" + (f"-{n}" if n else ""))
        try:
            os.makedirs(path)  # exist_ok=False: a run never writes into another's folder
            return os.path.abspath(path)
        except FileExistsError:
            continue
    raise UsageError(f"cannot make a new run folder in {args.eval_output_dir}")


@contextlib.contextmanager
def _target(args: Any) -> Iterator[EvalTarget]:
    """``--eval_url``, or ``swift deploy``'s app serving the model in-process on 127.0.0.1."""
    if args.eval_url:
        url = args.eval_url.rstrip("/")
        for suffix in ("/chat/completions", "/completions"):
            url = url.removesuffix(suffix)
        yield EvalTarget(url.removesuffix("/v1"), args.model, args.api_key, _tokenizer(args))
        return
    from swift_serve.api import serve_in_process

    with serve_in_process(args) as server:
        yield EvalTarget(server.url, server.app.state.server.catalog.default.name, None, _tokenizer(args))


def _tokenizer(args: Any) -> str | None:
    """The model's local folder (its tokenizer), or ``None`` for a model only the remote server has."""
    from swift.services import resolve_model_dir

    if args.eval_url and not (args.model and os.path.isdir(args.model)):
        return None
    try:
        return resolve_model_dir(args)
    except Exception:  # noqa: BLE001 - no local tokenizer: generation tasks still work
        return None


def _write(run_dir: str, args: Any, report: EvalReport) -> None:
    from swift.arguments import save_args

    os.makedirs(os.path.join(run_dir, "samples"), exist_ok=True)
    for task, rows in report.samples.items():
        with open(os.path.join(run_dir, "samples", f"{task}.jsonl"), "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    tmp = os.path.join(run_dir, "results.json.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(report.results, fh, indent=2, ensure_ascii=False, default=str)
    os.replace(tmp, os.path.join(run_dir, "results.json"))
    save_args(args, run_dir)
    with open(os.path.join(run_dir, "command.txt"), "w", encoding="utf-8") as fh:
        fh.write(" ".join(["swift", "eval", *sys.argv[2:]]) + "\n" if sys.argv[1:2] == ["eval"] else "swift eval\n")
