"""The ``lm_eval`` evaluation backend: lm-evaluation-harness against an OpenAI-compatible server.

Log-likelihood tasks (lm-eval's multiple-choice tasks, local multiple-choice files) go
through lm-eval's ``local-completions`` model: token-id prompts, ``echo`` with prompt
logprobs, several prompts per request. Generation tasks of local files go through
``local-chat-completions``, so the model answers through its chat template as in
``swift infer``. Named tasks and groups are lm-eval's own (``arc_easy``, ``mmlu`` …).

``--eval_args`` is a JSON object of :func:`lm_eval.simple_evaluate` options (``num_fewshot``,
``fewshot_as_multiturn``, ``gen_kwargs``, ``random_seed`` …) plus two of swift's:
``tokenizer`` (a tokenizer folder for log-likelihood against a remote server) and
``model_args`` (options of lm-eval's API models: ``max_length``, ``timeout``,
``batch_size`` …). Unknown keys are refused before the model loads.
"""

from __future__ import annotations

import inspect
import os
from typing import Any

from swift.contracts import EvalReport, EvalScore, EvalSettings, EvalTarget
from swift.kernel import UsageError
from swift.kernel.errors import closest
from swift_eval.tasks import LocalTask, is_local, local_task

# Prompts per /v1/completions request of log-likelihood tasks (within the server's --max_prompts):
# one round trip scores a batch, and the server batches the prompts of concurrent requests again.
PROMPTS_PER_REQUEST = 64
# Keys of --eval_args that are swift's, not simple_evaluate's.
OWN_ARGS = ("tokenizer", "model_args")
# simple_evaluate options swift eval sets itself.
SET_BY_SWIFT = ("model", "tasks", "limit", "task_manager", "apply_chat_template", "log_samples")
# simple_evaluate options that only apply when lm-eval loads the model itself: silently ignored here, so refused.
NOT_HERE = {
    "batch_size": 'prompts per request: --eval_args \'{"model_args": {"batch_size": N}}\'; requests in flight: '
    "--eval_num_proc",
    "max_batch_size": "the server's batch: --max_batch_size",
    "device": "the server places the model: --device_map, CUDA_VISIBLE_DEVICES",
    "evaluation_tracker": "swift eval writes the run folder itself",
}


class LmEvalBackend:
    """``--eval_backend lm_eval`` (:class:`swift.contracts.EvalBackend`).

    Args:
        settings: The datasets and options of the run.

    Raises:
        UsageError: ``--eval_dataset_args`` (EvalScope's), an unknown ``--eval_args`` key, a
            missing or unusable local file, an unknown task name (with the closest ones), a
            named task whose dataset cannot be downloaded.
    """

    def __init__(self, settings: EvalSettings) -> None:
        self.settings = settings
        if settings.dataset_args:
            raise UsageError("--eval_dataset_args is EvalScope's; with --eval_backend lm_eval pass --eval_args instead")
        self.options, self.model_args, self.tokenizer = _split_eval_args(settings.backend_args)
        for name in settings.datasets:
            if is_local(name) and not os.path.isfile(name):
                raise UsageError(f"--eval_dataset {name}: no such file")
        self.local: list[LocalTask] = [
            local_task(name, strict=settings.strict, generation=settings.generation)
            for name in settings.datasets
            if is_local(name)
        ]
        for task in self.local:
            if task.dropped:
                line, reason = task.dropped[0]
                print(f"swift eval: {task.name}: dropped {len(task.dropped)} bad rows (first: line {line}: {reason})")
        self.named = [name for name in settings.datasets if not is_local(name)]
        self.task_manager = _task_manager(self.named)

    def evaluate(self, target: EvalTarget, run_dir: str) -> EvalReport:
        """Run lm-eval's tasks against ``target``; the clean rows of local files go to ``run_dir/data``."""
        for task in self.local:
            task.write(os.path.join(run_dir, "data"))
        completions = self.named + [t.config for t in self.local if t.kind == "multiple_choice"]
        chats = [t.config for t in self.local if t.kind == "generation"]
        outputs = []
        if completions:
            outputs.append(self._evaluate(self._completions_model(target), completions, chat=False))
        if chats:
            outputs.append(self._evaluate(self._chat_model(target), chats, chat=True))
        results = _merge(outputs)
        samples = results.pop("samples", {}) or {}
        return EvalReport(scores=scores_of(results), results=results, samples=samples)

    def _api_options(self, target: EvalTarget) -> dict[str, Any]:
        options: dict[str, Any] = {
            "model": target.model,
            "num_concurrent": self.settings.concurrency,
            "max_retries": 1,
        }
        if target.api_key:
            options["header"] = {"Authorization": f"Bearer {target.api_key}"}
        return options

    def _completions_model(self, target: EvalTarget) -> Any:
        tokenizer = self.tokenizer or target.tokenizer
        options = self._api_options(target) | {
            "base_url": f"{target.base_url}/v1/completions",
            "tokenizer": tokenizer,
            "tokenizer_backend": "huggingface" if tokenizer else None,
            "tokenized_requests": bool(tokenizer),
            "batch_size": PROMPTS_PER_REQUEST,
        }
        return _build(_grouped_completions(), options | self.model_args)

    def _chat_model(self, target: EvalTarget) -> Any:
        from lm_eval.models.openai_completions import LocalChatCompletion

        options = self._api_options(target) | {
            "base_url": f"{target.base_url}/v1/chat/completions",
            "tokenizer_backend": None,
            "tokenized_requests": False,
        }
        # chat completions take one conversation per request
        return _build(LocalChatCompletion, options | {k: v for k, v in self.model_args.items() if k != "batch_size"})

    def _evaluate(self, model: Any, tasks: list, *, chat: bool) -> dict[str, Any]:
        from lm_eval import simple_evaluate

        options = dict(self.options)
        if any(isinstance(t, str) for t in tasks) and self.settings.generation.get("temperature"):
            # named tasks keep their own generation settings unless the flags say otherwise
            options.setdefault("gen_kwargs", self.settings.generation)
        try:
            return simple_evaluate(
                model=model,
                tasks=tasks,
                limit=self.settings.limit,
                task_manager=self.task_manager,
                apply_chat_template=chat,
                log_samples=True,
                **options,
            )
        except (ConnectionError, OSError) as exc:
            names = ", ".join(t if isinstance(t, str) else t["task"] for t in tasks)
            raise UsageError(f"lm-eval could not evaluate {names}: {type(exc).__name__}: {exc}") from exc


def _grouped_completions() -> type:
    """lm-eval's ``local-completions`` model, sending the continuations of one context in the same request.

    lm-eval orders log-likelihood prompts by length, which scatters the choices of a question
    over many requests; ordered by context instead, the server gets them together and scores the
    shared context once (the ``pt`` engine packs them into one row, vLLM hits its prefix cache).
    The answers are put back in lm-eval's order.
    """
    import itertools

    from lm_eval.models.openai_completions import LocalCompletionsAPI

    class GroupedCompletions(LocalCompletionsAPI):
        async def get_batched_requests(self, requests, cache_keys, *, generate=True, ctxlens=None, **kwargs):
            if generate or not ctxlens:
                return await super().get_batched_requests(
                    requests, cache_keys, generate=generate, ctxlens=ctxlens, **kwargs
                )
            order = sorted(range(len(requests)), key=lambda i: (requests[i][: ctxlens[i]], len(requests[i])))
            batches = await super().get_batched_requests(
                [requests[i] for i in order],
                [cache_keys[i] for i in order],
                generate=False,
                ctxlens=[ctxlens[i] for i in order],
                **kwargs,
            )
            answers = list(itertools.chain.from_iterable(batches))
            if len(answers) != len(requests):
                raise RuntimeError(f"the server answered {len(answers)} of {len(requests)} log-likelihood prompts")
            restored: list = [None] * len(requests)
            for position, index in enumerate(order):
                restored[index] = answers[position]
            return [restored]

    return GroupedCompletions


def _split_eval_args(backend_args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    """``(simple_evaluate options, API model options, tokenizer)`` of ``--eval_args``, checked."""
    from lm_eval import simple_evaluate

    allowed = sorted(set(inspect.signature(simple_evaluate).parameters) - set(SET_BY_SWIFT) - set(NOT_HERE))
    options = {k: v for k, v in backend_args.items() if k not in OWN_ARGS}
    for key in options:
        if key in NOT_HERE:
            raise UsageError(f"--eval_args {key!r} does not apply when swift serves the model: {NOT_HERE[key]}")
        if key in SET_BY_SWIFT:
            raise UsageError(f"--eval_args {key!r} is set by swift eval itself (see --eval_dataset, --eval_limit …)")
        if key not in allowed:
            close = closest(key, allowed + list(OWN_ARGS))
            hint = f"; did you mean {close!r}?" if close else ""
            raise UsageError(
                f"--eval_args {key!r} is not an option of lm-eval's simple_evaluate{hint} "
                f"(options: {', '.join(allowed)}; swift's: {', '.join(OWN_ARGS)})"
            )
    model_args = backend_args.get("model_args") or {}
    if not isinstance(model_args, dict):
        raise UsageError("--eval_args model_args must be a JSON object (options of lm-eval's API models)")
    _check_model_args(model_args)
    tokenizer = backend_args.get("tokenizer")
    if tokenizer is not None and not isinstance(tokenizer, str):
        raise UsageError("--eval_args tokenizer must be a tokenizer folder or hub id")
    return options, dict(model_args), tokenizer


def _check_model_args(model_args: dict[str, Any]) -> None:
    """Keys of ``model_args`` must be options of lm-eval's API models (they take ``**kwargs``: a typo would vanish)."""
    from lm_eval.models.api_models import TemplateAPI

    set_here = ("model", "pretrained", "base_url", "header", "num_concurrent")
    allowed = sorted(set(inspect.signature(TemplateAPI.__init__).parameters) - {"self", "kwargs", *set_here})
    for key in model_args:
        if key in set_here:
            raise UsageError(
                f"--eval_args model_args {key!r} is set by swift eval (--model, --eval_url, --eval_num_proc …)"
            )
        if key not in allowed:
            close = closest(key, allowed)
            hint = f"; did you mean {close!r}?" if close else ""
            raise UsageError(
                f"--eval_args model_args {key!r} is not an option of lm-eval's API models{hint} "
                f"(options: {', '.join(allowed)})"
            )


def _build(cls: type, options: dict[str, Any]) -> Any:
    try:
        return cls(**options)
    except TypeError as exc:
        raise UsageError(f"--eval_args model_args: {exc}") from exc


def _task_manager(names: list[str]) -> Any:
    """lm-eval's task index, and every named task checked and built once (datasets downloaded) before the model loads.

    Without named tasks the index of lm-eval's ~14,000 task files is not built (it takes
    seconds to minutes): local tasks are inline configs and need none of it.
    """
    import difflib

    from lm_eval.tasks import TaskManager, get_task_dict

    if not names:
        return TaskManager(include_defaults=False)
    manager = TaskManager()
    known = set(manager.all_tasks)
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UsageError(
                f"--eval_dataset {name}: not an lm-eval task or group, and no such file{hint} "
                "(`python -m lm_eval ls tasks` lists them)"
            )
    try:
        get_task_dict(names, manager)
    except (ConnectionError, OSError) as exc:
        raise UsageError(
            f"lm-eval could not load {', '.join(names)}: {type(exc).__name__}: {exc}. Tasks by name are downloaded "
            "from the Hugging Face hub; offline, evaluate local jsonl files instead"
        ) from exc
    return manager


def _merge(outputs: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for out in outputs:
        for key, value in out.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif key not in merged:
                merged[key] = value
    return merged


def scores_of(results: dict[str, Any]) -> list[EvalScore]:
    """The score table of lm-eval's results: one line per task and metric (``acc,none`` → ``acc``)."""
    scores = []
    for task, metrics in results.get("results", {}).items():
        n = results.get("n-samples", {}).get(task, {}).get("effective")
        for key, value in metrics.items():
            if key in ("alias", "sample_len") or "_stderr" in key or isinstance(value, bool):
                continue
            if not isinstance(value, (int, float)):
                continue
            metric = key.split(",")[0]
            stderr = metrics.get(key.replace(metric, f"{metric}_stderr", 1))
            scores.append(
                EvalScore(task, metric, float(value), float(stderr) if isinstance(stderr, (int, float)) else None, n)
            )
    return scores
