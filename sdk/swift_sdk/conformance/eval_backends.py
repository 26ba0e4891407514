"""Evaluation-backend conformance: usage errors first, then a scored run against a served tiny model."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Sequence

from swift_sdk.conformance.errors import CheckSkipped, fail
from swift_sdk.conformance.plugin import PluginUnderTest
from swift_sdk.conformance.tiny_cache import tiny_model_dir

# ``swift eval``'s documented local formats (docs/eval.md): multiple choice and question/answer.
MULTIPLE_CHOICE = (
    {"question": "The sky is", "choices": ["blue", "loud"], "answer": 0},
    {"question": "Which animal barks?", "choices": ["cat", "dog"], "answer": 1},
    {"question": "Water freezes at", "choices": ["zero degrees", "ninety degrees"], "answer": 0},
)
QUESTION_ANSWER = (
    {"question": "Say yes.", "answer": "yes"},
    {"question": "Say no.", "answer": "no"},
)
LIMIT = 2
UNKNOWN_DATASET = "no_such_dataset_anywhere"


def sample_datasets(folder: str) -> tuple[str, ...]:
    """The two sample files (``mc_sample.jsonl``, ``qa_sample.jsonl``) written into ``folder``."""
    paths = []
    for name, rows in (("mc_sample.jsonl", MULTIPLE_CHOICE), ("qa_sample.jsonl", QUESTION_ANSWER)):
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(row) + "\n" for row in rows)
        paths.append(path)
    return tuple(paths)


def check_eval_backend(
    plugin: PluginUnderTest, name: str, datasets: Sequence[str] | None = None, model_dir: str | None = None
) -> None:
    """Evaluate a tiny model with the backend ``name`` as ``swift eval`` does.

    Checks: built with an unknown dataset name the backend raises ``UsageError`` (the run must
    stop before the model loads); built with ``datasets`` (default: the two sample files of
    ``swift eval``'s local formats) and ``limit=2`` it evaluates the tiny model served by swift's
    server (``swift_serve.api``) and returns an :class:`~swift.contracts.EvalReport`: at least one
    score, every value finite, ``n`` at most the limit, ``results`` JSON-serialisable, ``samples``
    lists of dicts.

    Raises:
        CheckSkipped: When swift-serve (the server) or swift-transformers (the engine) is missing.
        ConformanceError: Naming the backend and the broken part of the contract.
    """
    from swift.contracts import EvalReport, EvalScore, EvalSettings, EvalTarget, load_eval_backend
    from swift.kernel import UsageError

    def problem(text: str) -> Exception:
        return fail(plugin.label, text, family="eval_backends", record=name)

    plugin.record("eval_backends", name)
    try:
        from swift_serve.api import BackgroundServer, create_app
    except ImportError as exc:
        raise CheckSkipped(f"swift-serve is not installed ({exc}): it serves the model the backend evaluates") from exc
    with plugin.active():
        backend_class = load_eval_backend(name)
        try:
            backend_class(EvalSettings(datasets=(UNKNOWN_DATASET,)))
        except UsageError:
            pass
        except Exception as exc:  # noqa: BLE001 - reported to the author
            raise problem(
                f"an unknown dataset must raise UsageError when the backend is built, got {type(exc).__name__}: {exc}"
            ) from exc
        else:
            raise problem(f"building it with --eval_dataset {UNKNOWN_DATASET} raised nothing (expected UsageError)")

        from swift.arguments import DeployArguments
        from swift.pipelines.infer_engine import create_engine

        with tempfile.TemporaryDirectory(prefix="swift-eval-conformance-") as work:
            names = tuple(datasets) if datasets else sample_datasets(work)
            try:
                backend = backend_class(EvalSettings(datasets=names, limit=LIMIT, concurrency=2))
            except Exception as exc:  # noqa: BLE001 - reported to the author
                raise problem(f"cannot be built for {', '.join(names)}: {type(exc).__name__}: {exc}") from exc
            model = model_dir or tiny_model_dir()
            args = DeployArguments(model=model, host="127.0.0.1", port=0, verbose=False, log_interval=0)
            args.api_key = None
            engine = create_engine(args)
            try:
                app = create_app(engine, args)
                with BackgroundServer(app, args) as server:
                    target = EvalTarget(server.url, app.state.server.catalog.default.name, None, model)
                    run_dir = os.path.join(work, "run")
                    os.makedirs(run_dir)
                    try:
                        report = backend.evaluate(target, run_dir)
                    except Exception as exc:  # noqa: BLE001 - reported to the author
                        raise problem(f"evaluate() failed: {type(exc).__name__}: {exc}") from exc
            finally:
                engine.close()
    if not isinstance(report, EvalReport):
        raise problem(f"evaluate() returned a {type(report).__name__}, not a swift.contracts.EvalReport")
    if not report.scores or not all(isinstance(s, EvalScore) for s in report.scores):
        raise problem(f"the report has no scores, or scores that are not EvalScore: {report.scores!r}")
    for score in report.scores:
        if not isinstance(score.value, (int, float)) or not math.isfinite(score.value):
            raise problem(f"score {score.task}/{score.metric} is not a finite number: {score.value!r}")
        if score.n is not None and not 0 < score.n <= LIMIT:
            raise problem(f"score {score.task}/{score.metric} is over n={score.n} samples, but the limit was {LIMIT}")
    try:
        json.dumps(report.results)
    except (TypeError, ValueError) as exc:
        raise problem(f"results are not JSON-serialisable: {exc}") from exc
    for task, rows in report.samples.items():
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise problem(f"samples of {task!r} must be a list of dicts")
