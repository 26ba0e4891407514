"""Hooks of swift-serve. Light: no fastapi, uvicorn or torch is imported here."""

from __future__ import annotations

from swift.kernel import ArgumentGroupRecord, CommandRecord, EngineRecord, hookimpl

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


# The engine that drives any OpenAI-compatible server, and its settings.
OPENAI_ENGINE = EngineRecord(
    name="openai",
    load="swift_serve.remote:OpenAIEngine",
    summary="any OpenAI-compatible server (SGLang, LMDeploy, vLLM serve, swift deploy) at --base_url",
    aliases=("client",),
)
OPENAI_ARGUMENTS = ArgumentGroupRecord(
    name="openai",
    load="swift_serve.remote_arguments:OpenAIEngineArguments",
    summary="--base_url, --api_key, --request_timeout, --max_concurrency",
    commands=("infer", "sample", "rlhf"),  # rlhf: GRPO sampling on an OpenAI-compatible server
)


LMDEPLOY_ARGUMENTS = ArgumentGroupRecord(
    name="lmdeploy",
    load="swift_serve.remote_arguments:LmdeployArguments",
    summary="--tp, --session_len, --cache_max_entry_count, --quant_policy, --vision_batch_size (an LMDeploy server's)",
    commands=("infer", "deploy", "sample"),
)


@hookimpl
def swift_register_engines():
    yield OPENAI_ENGINE


@hookimpl
def swift_register_arguments():
    yield OPENAI_ARGUMENTS
    yield LMDEPLOY_ARGUMENTS


@hookimpl
def swift_check_args(command, args):
    from swift_serve.checks import check_args

    check_args(command, args)
