r"""Body of ``swift rollout``: a generation server for GRPO that takes weight updates.

It is ``swift deploy`` (same engine building, same OpenAI routes, same flags) plus
the rollout protocol of ``docs/rollout.md`` (``/health`` with weight formats,
``/infer``, ``/update_weights``; :mod:`swift_serve.rollout_app`). The engine comes
from the engine family like everywhere else: ``--infer_backend`` defaults to
``vllm`` as in ms-swift; ``--infer_backend pt`` serves with transformers (CPU
included). The engine must implement ``load_weights`` (``full`` updates) and may
implement ``load_adapter`` (``lora`` updates).

Multi-turn rollouts run in the trainer: it sends one ``/infer`` per turn and its
``--multi_turn_scheduler`` decides what comes next (it needs the scheduler's
trajectory to mask the loss), so this server takes no scheduler flags.

Example::

    swift rollout --model Qwen/Qwen2.5-0.5B-Instruct --infer_backend pt \
        --max_batch_size 32 --port 8000
    swift rlhf --rlhf_type grpo --use_vllm true --vllm_mode server \
        --vllm_server_host 127.0.0.1 --vllm_server_port 8000 ...
"""

from __future__ import annotations

from typing import Any

from swift_serve.deploy import serve


def rollout_main(args: Any) -> int:
    """Run ``swift rollout`` for ``args`` (``RolloutArguments``) until interrupted.

    Returns:
        The exit status (0 after a clean shutdown).
    """
    from swift_serve.rollout_app import create_rollout_app

    return serve(args, create_rollout_app, "swift rollout")
