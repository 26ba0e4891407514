"""Hooks of swift-eval. Light: lm-eval, torch and the server are imported only when the command runs."""

from __future__ import annotations

from swift.kernel import CommandRecord, EvalBackendRecord, hookimpl

# Overrides the core's declaration of `eval` (same arguments and families).
EVAL = CommandRecord(
    name="eval",
    load="swift_eval.run:eval_main",
    summary="Evaluate a model, an adapter or an OpenAI-compatible server (lm-evaluation-harness by default).",
    arguments="swift.arguments:EvalArguments",
    families=("models", "templates", "datasets", "tuners", "engines", "eval_backends"),
    order=33,
)

LM_EVAL = EvalBackendRecord(
    name="lm_eval",
    load="swift_eval.lm_eval_backend:LmEvalBackend",
    summary="lm-evaluation-harness: its tasks and groups by name, local multiple-choice and question/answer jsonl",
    aliases=("lm-eval",),
    requires=("lm-eval[api]>=0.4.13,<0.5",),
)


@hookimpl
def swift_register_commands():
    yield EVAL


@hookimpl
def swift_register_eval_backends():
    yield LM_EVAL


@hookimpl
def swift_check_args(command, args):
    if command == "eval":
        from swift_eval.checks import check_args

        check_args(args)
