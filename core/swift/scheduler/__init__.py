"""Multi-turn rollouts for GRPO (``--multi_turn_scheduler``, ``--max_turns``), pure Python.

::

    from swift.scheduler import RolloutRequest, load_scheduler, run_multi_turn
    scheduler = load_scheduler("retry_wrong", max_turns=3)
    trajectory = run_multi_turn(engine, RolloutRequest(messages=[...], data={"solution": "4"}),
                                RequestConfig(max_tokens=256), scheduler)
    trajectory.messages, trajectory.model_written   # mask the loss where False
"""

from swift.scheduler.base import (
    MultiTurnScheduler,
    RolloutRequest,
    append_messages,
    assistant_message,
)
from swift.scheduler.driver import (
    Trajectory,
    rollout,
    run_multi_turn,
    run_multi_turn_async,
    run_multi_turn_batch,
)
from swift.scheduler.loading import load_scheduler, scheduler_from_args

__all__ = [
    "MultiTurnScheduler",
    "RolloutRequest",
    "Trajectory",
    "append_messages",
    "assistant_message",
    "load_scheduler",
    "rollout",
    "run_multi_turn",
    "run_multi_turn_async",
    "run_multi_turn_batch",
    "scheduler_from_args",
]
