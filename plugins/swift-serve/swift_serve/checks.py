"""The flags swift-serve owns, checked before any work (``swift_check_args``). Light."""

from __future__ import annotations

from typing import TYPE_CHECKING

from swift.kernel import UsageError

if TYPE_CHECKING:
    from swift.arguments import RolloutArguments


def check_args(command: str, args: RolloutArguments) -> None:
    """Refuse what ``swift deploy``/``swift rollout`` cannot honour before a model loads."""
    if command == "rollout":
        check_single_turn(args)


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
