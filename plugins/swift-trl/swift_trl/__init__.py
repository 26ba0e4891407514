"""swift-trl: the trainers of ``swift rlhf``.

* preference methods on trl — ``dpo``, ``orpo``, ``simpo``, ``kto``, ``cpo``
  (:mod:`swift_trl.preference`), with data encoded by swift's own templates;
* ``grpo`` (:mod:`swift_trl.grpo`): group sampling through the engine family (the
  local ``pt`` engine, or a ``swift rollout`` server), rewards from the rewards
  family, multi-turn rollouts from the schedulers family.

:mod:`swift_trl.hooks` and :mod:`swift_trl.catalog` import nothing heavy.
"""
