"""The flags swift-serve owns, checked before any work (``swift_check_args``). Light."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from swift.kernel import UsageError

if TYPE_CHECKING:
    from swift.arguments import RolloutArguments


# engines we drive through their OpenAI-compatible servers: how each is started, and its port
SERVED_BY_OPENAI = {
    "sglang": ("python -m sglang.launch_server --model-path MODEL --port 30000", 30000),
    "lmdeploy": ("lmdeploy serve api_server MODEL --server-port 23333", 23333),
}


def check_args(command: str, args: RolloutArguments) -> None:
    """Refuse what ``swift deploy``/``swift rollout`` cannot honour before a model loads."""
    if command == "rollout":
        check_single_turn(args)
    if command in ("infer", "sample"):
        check_openai_engine(command, args)
    if command in ("infer", "deploy", "sample"):
        check_lmdeploy_settings(args)


def check_openai_engine(command: str, args: Any) -> None:
    """``--infer_backend openai`` needs ``--base_url``; SGLang and LMDeploy are driven through it.

    Raises:
        UsageError: ``openai`` without ``--base_url``, or ``sglang``/``lmdeploy`` without a
            native plugin (saying how to serve the model and point this engine at it).
    """
    from swift.kernel import registry

    flag = "sampler_engine" if command == "sample" else "infer_backend"
    backend = getattr(args, flag, None)
    if backend in SERVED_BY_OPENAI and backend not in registry("engines").names():
        launch, port = SERVED_BY_OPENAI[backend]
        raise UsageError(
            f"--{flag} {backend}: no native {backend} engine is installed; swift drives {backend} through "
            f"its OpenAI-compatible server: start it (`{launch}`), then pass "
            f"--{flag} openai --base_url http://127.0.0.1:{port}/v1"
        )
    if backend in ("openai", "client") and not getattr(args, "base_url", None):
        raise UsageError(
            f"--{flag} {backend} needs --base_url, the address of an OpenAI-compatible server "
            "(e.g. http://127.0.0.1:8000/v1 of a `swift deploy`)"
        )


def check_single_turn(args: RolloutArguments) -> None:
    """Refuse the multi-turn flags, which belong to the trainer here.

    Raises:
        UsageError: ``--multi_turn_scheduler`` or ``--max_turns`` was given.
    """
    given = [flag for flag in ("multi_turn_scheduler", "max_turns") if getattr(args, flag, None) is not None]
    if given:
        flags = " ".join(f"--{flag} {getattr(args, flag)}" for flag in given)
        raise UsageError(
            f"multi-turn rollouts are driven by the trainer, which sends one "
            f"/infer per turn; pass {flags} to `swift rlhf --rlhf_type grpo` and start "
            "swift rollout without them"
        )


def check_lmdeploy_settings(args: Any) -> None:
    """The reference's LMDeploy settings belong to an LMDeploy server: refuse them, naming its flags.

    Raises:
        UsageError: A setting was changed from its default and no native lmdeploy engine
            is installed to take it.
    """
    from swift.kernel import registry
    from swift_serve.remote_arguments import LMDEPLOY_SERVER_FLAGS, LmdeployArguments

    if "lmdeploy" in registry("engines").names():
        return
    defaults = LmdeployArguments()
    changed = {
        k: getattr(args, k)
        for k in LMDEPLOY_SERVER_FLAGS
        if getattr(args, k, getattr(defaults, k)) != getattr(defaults, k)
    }
    if changed:
        given = " ".join(f"--{k} {v}" for k, v in changed.items())
        server = " ".join(f"{LMDEPLOY_SERVER_FLAGS[k]} {v}" for k, v in changed.items())
        raise UsageError(
            f"{given}: LMDeploy engine settings, and no LMDeploy engine runs in swift; pass them to the server "
            f"(`lmdeploy serve api_server MODEL {server}`) and drive it with "
            "--infer_backend openai --base_url http://127.0.0.1:23333/v1"
        )
