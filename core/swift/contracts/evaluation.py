"""The contract of the ``eval_backends`` family: what ``swift eval`` gives a backend and gets back.

``swift eval`` owns everything around a backend: it resolves ``--eval_backend``, builds the
backend from :class:`EvalSettings` (the backend checks its datasets there, before the model
loads), serves the model (or takes ``--eval_url``), makes the run folder, calls
:meth:`EvalBackend.evaluate` with an :class:`EvalTarget`, and writes the
:class:`EvalReport` — ``results.json``, ``samples/<task>.jsonl`` and the score table.
A backend therefore only talks to an OpenAI-compatible server over HTTP; it never loads
a model, so one backend evaluates every engine and every external server alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class EvalSettings:
    """The flags of ``swift eval`` a backend reads.

    Attributes:
        datasets: ``--eval_dataset`` entries: task names of the backend or local files.
        limit: ``--eval_limit``: samples taken from each dataset (``None``: all).
        generation: Generation options of generation tasks: ``temperature``, ``do_sample``,
            then ``--eval_generation_config``.
        backend_args: ``--eval_args``: options of the backend itself (JSON object).
        dataset_args: ``--eval_dataset_args``: per-dataset options (JSON object), or ``None``.
        concurrency: Requests the backend may have in flight at once.
        strict: ``--strict``: a malformed row of a local file stops the run.
    """

    datasets: tuple[str, ...]
    limit: int | None = None
    generation: dict[str, Any] = field(default_factory=dict)
    backend_args: dict[str, Any] = field(default_factory=dict)
    dataset_args: dict[str, Any] | None = None
    concurrency: int = 1
    strict: bool = False

    @classmethod
    def from_args(cls, args: Any) -> EvalSettings:
        """The settings of ``swift eval``'s arguments (``EvalArguments``)."""
        temperature = float(args.temperature or 0.0)
        generation = {"temperature": temperature, "do_sample": temperature > 0, **(args.eval_generation_config or {})}
        concurrency = max(1, min(args.eval_num_proc, args.max_batch_size or args.eval_num_proc))
        return cls(
            datasets=tuple(args.eval_dataset),
            limit=args.eval_limit,
            generation=generation,
            backend_args=dict(args.eval_args or {}),
            dataset_args=args.eval_dataset_args,
            concurrency=concurrency,
            strict=bool(getattr(args, "strict", False)),
        )


@dataclass(frozen=True)
class EvalTarget:
    """The OpenAI-compatible server a backend evaluates.

    Attributes:
        base_url: ``http://host:port`` without ``/v1``; ``/v1/completions`` and
            ``/v1/chat/completions`` are below it.
        model: The served model name to put in requests.
        api_key: The bearer key, when the server wants one.
        tokenizer: A local folder with the model's tokenizer, when known (log-likelihood
            backends tokenize on the client side); ``None`` for a remote model.
    """

    base_url: str
    model: str
    api_key: str | None = None
    tokenizer: str | None = None


@dataclass(frozen=True)
class EvalScore:
    """One line of the score table.

    Attributes:
        task: The task (a dataset name, or a local file's stem).
        metric: ``acc``, ``exact_match`` …
        value: The score.
        stderr: Its standard error, when the backend computes one.
        n: Samples the score is over.
    """

    task: str
    metric: str
    value: float
    stderr: float | None = None
    n: int | None = None


@dataclass
class EvalReport:
    """What :meth:`EvalBackend.evaluate` returns.

    Attributes:
        scores: The table ``swift eval`` prints, one line per task and metric.
        results: The backend's full results, written as ``results.json`` (JSON-serialisable;
            lm-eval's layout for the ``lm_eval`` backend).
        samples: ``{task: [one dict per evaluated sample]}``, written as ``samples/<task>.jsonl``.
    """

    scores: list[EvalScore]
    results: dict[str, Any] = field(default_factory=dict)
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def table(self) -> str:
        """The scores as an aligned text table (task, metric, value, stderr, n)."""
        rows = [("task", "metric", "value", "stderr", "n")]
        for s in self.scores:
            stderr = "" if s.stderr is None or not math.isfinite(s.stderr) else f"{s.stderr:.4f}"
            rows.append((s.task, s.metric, f"{s.value:.4f}", stderr, "" if s.n is None else str(s.n)))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        return "\n".join(" | ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows)


@runtime_checkable
class EvalBackend(Protocol):
    """``EvalBackendRecord.load``: a class built as ``cls(settings: EvalSettings)``.

    The constructor checks every dataset it was given — an unknown task name, a missing or
    unusable file — and raises ``swift.kernel.UsageError`` naming it (listing what exists
    where it can), and may fetch what it needs: it runs before the model loads and before
    the run folder exists, so a mistake costs seconds.
    """

    def evaluate(self, target: EvalTarget, run_dir: str) -> EvalReport:
        """Score ``target`` on the datasets of the settings; ``run_dir`` is this run's new folder.

        A backend may write its own files below ``run_dir`` (the rows it read, logs);
        ``results.json`` and ``samples/`` are written by ``swift eval`` from the report.
        """
