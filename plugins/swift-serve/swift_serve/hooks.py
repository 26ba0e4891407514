"""Hooks of swift-serve. Light: no fastapi, uvicorn or torch is imported here."""

from __future__ import annotations

from swift.kernel import CommandRecord, hookimpl

# Same arguments and families as the core's declaration of `deploy`, which this overrides.
DEPLOY = CommandRecord(
    name="deploy",
    load="swift_serve.deploy:deploy_main",
    summary="Serve a model over an OpenAI-compatible HTTP API.",
    arguments="swift.arguments:DeployArguments",
    families=("models", "templates", "datasets", "tuners", "engines"),
    order=30,
)

# Overrides the core's declaration of `rollout`: deploy's server plus GRPO weight sync.
ROLLOUT = CommandRecord(
    name="rollout",
    load="swift_serve.rollout:rollout_main",
    summary="Serve generation and weight updates for GRPO training.",
    arguments="swift.arguments:RolloutArguments",
    families=("models", "templates", "datasets", "tuners", "engines", "schedulers"),
    order=31,
)


@hookimpl
def swift_register_commands():
    yield DEPLOY
    yield ROLLOUT


@hookimpl
def swift_check_args(command, args):
    from swift_serve.checks import check_args

    check_args(command, args)
