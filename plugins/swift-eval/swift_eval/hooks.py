"""Hooks of swift-eval. Light: lm-eval, torch and the server are imported only when the command runs."""

from __future__ import annotations

from swift.kernel import CommandRecord, hookimpl

# Overrides the core's declaration of `eval` (same arguments and families).
EVAL = CommandRecord(
    name="eval",
    load="swift_eval.run:eval_main",
    summary="Evaluate a model, an adapter or an OpenAI-compatible server with lm-evaluation-harness.",
    arguments="swift.arguments:EvalArguments",
    families=("models", "templates", "datasets", "tuners", "engines"),
    order=33,
)


@hookimpl
def swift_register_commands():
    yield EVAL


@hookimpl
def swift_check_args(command, args):
    if command == "eval":
        from swift_eval.checks import check_args

        check_args(args)
