"""The flags swift-trl owns, checked before any work (``swift_check_args``). Light."""

from __future__ import annotations

from typing import TYPE_CHECKING

from swift.kernel import UsageError

if TYPE_CHECKING:
    from swift.arguments import RLHFArguments


def check_args(command: str, args: RLHFArguments) -> None:
    """Refuse what the ``--rlhf_type`` trainer cannot do before a model loads."""
    if command == "rlhf" and getattr(args, "rlhf_type", None) == "grpo":
        check_grpo(args)
    if command == "rlhf":
        check_remote_rollouts(args)


def check_remote_rollouts(args: RLHFArguments) -> None:
    """``--base_url``: GRPO samples on that OpenAI-compatible server, which takes the policy as a LoRA adapter."""
    if not getattr(args, "base_url", None):
        return
    if args.rlhf_type != "grpo":
        raise UsageError(f"--base_url samples GRPO rollouts on a server; --rlhf_type {args.rlhf_type} samples nothing")
    if args.use_vllm:
        raise UsageError(
            "--base_url and --use_vllm both choose where GRPO samples: --base_url for an OpenAI-compatible "
            "server, --use_vllm (--vllm_mode server) for `swift rollout`"
        )
    if args.train_type != "lora":
        raise UsageError(
            f"--base_url: the server gets the policy as a LoRA adapter (vLLM's runtime LoRA API), and "
            f"--train_type {args.train_type} trains no plain LoRA; use --train_type lora, or `swift rollout` "
            "(--use_vllm true --vllm_mode server), which takes full weights"
        )


def check_grpo(args: RLHFArguments) -> None:
    """Refuse GRPO options this trainer does not implement, saying what to do instead."""
    if not args.reward_funcs:
        raise UsageError(
            "GRPO needs at least one reward: pass --reward_funcs (e.g. accuracy format; "
            "`swift plugins list` shows the installed rewards)"
        )
    unsupported = {
        "--reward_model": bool(args.reward_model),
        "--dynamic_sample": args.dynamic_sample,
        "--async_generate": args.async_generate,
        "--sync_ref_model": args.sync_ref_model,
    }
    named = [flag for flag, used in unsupported.items() if used]
    if named:
        raise UsageError(
            f"{', '.join(named)} is not supported by swift-trl's GRPO trainer yet; leave it "
            "off (reward functions from --reward_funcs and plugins are supported)"
        )
