"""Body of ``swift eval``: serve the model (or use ``--eval_url``), run lm-eval against it, write the results.

Layout of a run (never overwriting another)::

    eval_output/<model>-<YYYYmmdd-HHMMSS>[-N]/
        results.json          lm-eval's results (results, configs, versions, n-samples …)
        samples/<task>.jsonl  one line per evaluated sample (prompt, answer, target, metrics)
        data/<file>.jsonl     the clean rows of each local file (what lm-eval read)
        args.json, command.txt

Example::

    swift eval --model Qwen/Qwen2.5-0.5B-Instruct --eval_dataset my_mc.jsonl arc_easy --eval_limit 100
    swift eval --adapters output/v0-x/checkpoint-100 --eval_dataset my_qa.jsonl
    swift eval --eval_url http://host:8000/v1 --model served-name --api_key ... --eval_dataset gsm8k
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import time
from typing import Any

from swift.kernel import UsageError
from swift_eval.checks import is_local
from swift_eval.tasks import local_task

# Prompts per /v1/completions request of log-likelihood tasks (within the server's --max_prompts).
PROMPTS_PER_REQUEST = 16


def eval_main(args: Any) -> dict[str, Any]:
    """Run ``swift eval`` for ``args`` (``EvalArguments``).

    Returns:
        ``{"output_dir", "results"}``: the run folder and lm-eval's ``results`` section.
    """
    # every usage error before a run folder exists and before the model loads
    local = [
        local_task(name, strict=bool(getattr(args, "strict", False)), generation=_generation(args))
        for name in args.eval_dataset
        if is_local(name)
    ]
    named = [name for name in args.eval_dataset if not is_local(name)]
    task_manager = _check_named(named) if named else None
    if named:
        _fetch(named, task_manager)
    run_dir = _run_dir(args)
    for task in local:
        task.write(os.path.join(run_dir, "data"))
        if task.dropped:
            line, reason = task.dropped[0]
            print(f"swift eval: {task.name}: dropped {len(task.dropped)} bad rows (first: line {line}: {reason})")
    with _server(args) as (url, served):
        outputs = []
        completions = named + [t.config for t in local if t.kind == "multiple_choice"]
        chats = [t.config for t in local if t.kind == "generation"]
        if completions:
            outputs.append(_evaluate(args, _completions_model(args, url, served), completions, task_manager, False))
        if chats:
            outputs.append(_evaluate(args, _chat_model(args, url, served), chats, task_manager, True))
    merged = _merge(outputs)
    _write(run_dir, args, merged)
    print(_table(merged))
    print(f"swift eval: results in {os.path.join(run_dir, 'results.json')}")
    return {"output_dir": run_dir, "results": merged["results"]}


def _generation(args: Any) -> dict[str, Any]:
    """Generation options of generation tasks: ``--temperature`` (0 = greedy), then ``--eval_generation_config``."""
    temperature = float(args.temperature or 0.0)
    return {"temperature": temperature, "do_sample": temperature > 0, **(args.eval_generation_config or {})}


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


def _check_named(names: list[str]) -> Any:
    import difflib

    from lm_eval.tasks import TaskManager

    manager = TaskManager(verbosity="ERROR")
    known = set(manager.all_tasks)
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UsageError(
                f"--eval_dataset {name}: not an lm-eval task or group, and no such file{hint} "
                "(`python -m lm_eval ls tasks` lists them)"
            )
    return manager


def _fetch(names: list[str], task_manager: Any) -> None:
    """Build the named tasks once before the model loads: a dataset lm-eval cannot download fails here, fast."""
    from lm_eval.tasks import get_task_dict

    try:
        get_task_dict(names, task_manager)
    except (ConnectionError, OSError) as exc:
        raise UsageError(
            f"lm-eval could not load {', '.join(names)}: {type(exc).__name__}: {exc}. Tasks by name are downloaded "
            "from the Hugging Face hub; offline, evaluate local jsonl files instead"
        ) from exc


@contextlib.contextmanager
def _server(args: Any):
    """``(base_url, served model name)``: ``--eval_url``, or ``swift deploy``'s app served in-process."""
    if args.eval_url:
        url = args.eval_url.rstrip("/")
        for suffix in ("/chat/completions", "/completions"):
            url = url.removesuffix(suffix)
        url = url.removesuffix("/v1")
        yield url, args.model
        return
    from swift_serve.api import BackgroundServer, create_app

    from swift.pipelines.infer_engine import create_engine
    from swift.pipelines.merge import merge_before_infer

    # the in-process server is reached only through 127.0.0.1 by this process: no key
    local = dataclasses.replace(args, host="127.0.0.1", port=0)
    local.api_key = None  # after replace(): __post_init__ would fill it from $SWIFT_API_KEY
    if getattr(local, "merge_lora", False) and local.adapters:
        merge_before_infer(local)
    engine = create_engine(local)
    try:
        app = create_app(engine, local)
        with BackgroundServer(app, local) as server:
            yield server.url, app.state.server.catalog.default.name
    finally:
        engine.close()


def _concurrency(args: Any) -> int:
    return max(1, min(args.eval_num_proc, args.max_batch_size or args.eval_num_proc))


def _tokenizer(args: Any) -> str | None:
    # log-likelihood needs the model's tokenizer on the client side; a local model folder has it
    from swift.services import resolve_model_dir

    extra = dict(args.eval_args or {})
    if "tokenizer" in extra:
        return extra["tokenizer"]
    if args.eval_url and not (args.model and os.path.isdir(args.model)):
        return None
    try:
        return resolve_model_dir(args)
    except Exception:  # noqa: BLE001 - no local tokenizer: generation tasks still work
        return None


def _api_key(args: Any) -> None:
    # lm-eval's API models read the key from $OPENAI_API_KEY
    if args.eval_url and args.api_key:
        os.environ["OPENAI_API_KEY"] = args.api_key


def _completions_model(args: Any, url: str, served: str) -> Any:
    from lm_eval.models.openai_completions import LocalCompletionsAPI

    _api_key(args)
    tokenizer = _tokenizer(args)
    return LocalCompletionsAPI(
        base_url=f"{url}/v1/completions",
        model=served,
        tokenizer=tokenizer,
        tokenizer_backend="huggingface" if tokenizer else None,
        tokenized_requests=bool(tokenizer),
        num_concurrent=_concurrency(args),
        # several prompts per request: one HTTP round trip scores a batch (the server batches them too)
        batch_size=PROMPTS_PER_REQUEST,
        max_retries=1,
    )


def _chat_model(args: Any, url: str, served: str) -> Any:
    from lm_eval.models.openai_completions import LocalChatCompletion

    _api_key(args)
    return LocalChatCompletion(
        base_url=f"{url}/v1/chat/completions",
        model=served,
        tokenizer_backend=None,
        tokenized_requests=False,
        num_concurrent=_concurrency(args),
        max_retries=1,
    )


def _evaluate(args: Any, model: Any, tasks: list, task_manager: Any, chat: bool) -> dict[str, Any]:
    from lm_eval import simple_evaluate

    options = {k: v for k, v in (args.eval_args or {}).items() if k != "tokenizer"}
    if any(isinstance(t, str) for t in tasks) and (args.eval_generation_config or args.temperature):
        # named tasks keep their own generation settings unless the flags say otherwise
        options.setdefault("gen_kwargs", _generation(args))
    try:
        return simple_evaluate(
            model=model,
            tasks=tasks,
            limit=args.eval_limit,
            task_manager=task_manager,
            apply_chat_template=chat,
            log_samples=True,
            **options,
        )
    except TypeError as exc:
        raise UsageError(f"--eval_args: {exc}") from exc
    except (ConnectionError, OSError) as exc:
        names = ", ".join(t if isinstance(t, str) else t["task"] for t in tasks)
        raise UsageError(f"lm-eval could not evaluate {names}: {type(exc).__name__}: {exc}") from exc


def _merge(outputs: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for out in outputs:
        for key, value in out.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif key not in merged:
                merged[key] = value
    return merged


def _write(run_dir: str, args: Any, merged: dict[str, Any]) -> None:
    from swift.arguments import save_args

    samples = merged.pop("samples", {}) or {}
    os.makedirs(os.path.join(run_dir, "samples"), exist_ok=True)
    for task, rows in samples.items():
        with open(os.path.join(run_dir, "samples", f"{task}.jsonl"), "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    tmp = os.path.join(run_dir, "results.json.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(merged, fh, indent=2, ensure_ascii=False, default=str)
    os.replace(tmp, os.path.join(run_dir, "results.json"))
    save_args(args, run_dir)
    with open(os.path.join(run_dir, "command.txt"), "w", encoding="utf-8") as fh:
        fh.write(" ".join(["swift", "eval", *sys.argv[2:]]) + "\n" if sys.argv[1:2] == ["eval"] else "swift eval\n")


def _table(merged: dict[str, Any]) -> str:
    rows = [("task", "metric", "value", "stderr", "n")]
    for task, metrics in merged.get("results", {}).items():
        n = merged.get("n-samples", {}).get(task, {}).get("effective", "")
        for key, value in metrics.items():
            if key in ("alias", "sample_len") or "_stderr" in key or not isinstance(value, (int, float)):
                continue
            metric = key.split(",")[0]
            stderr = metrics.get(key.replace(metric, f"{metric}_stderr", 1), "")
            shown = f"{stderr:.4f}" if isinstance(stderr, float) else str(stderr)
            rows.append((task, metric, f"{value:.4f}", shown, str(n)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join(" | ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows)
