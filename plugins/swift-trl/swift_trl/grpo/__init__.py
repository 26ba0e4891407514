"""GRPO for ``swift rlhf --rlhf_type grpo``.

Split by responsibility: :mod:`.batches` (rounds and micro-batches), :mod:`.sampling`
(group rollouts through an engine, encoding, loss masks), :mod:`.advantages`
(rewards → group-relative advantages), :mod:`.loss` (the clipped objective with KL),
:mod:`.engines` / :mod:`.client` / :mod:`.weights` (the rollout engine and weight
sync), :mod:`.trainer` (the loop) and :mod:`.recipe` (wiring the flags).
"""
