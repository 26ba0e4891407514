"""The ``sft`` and ``pt`` trainers of swift-transformers.

:mod:`.catalog` holds the records (light); :mod:`.recipe` composes models,
templates, datasets and tuners into a transformers ``Trainer`` run. The building
blocks every swift trainer shares (``swift rlhf`` too) are public: :mod:`.steps`
(``prepare_run``, ``prepare_tuner``, ``train``, ``finish_run``), :mod:`.mixins`
(``SwiftTrainerMixin``: tuner checkpoints, LoRA+ groups, memory and speed logs) and
:mod:`.build` (``build_callbacks``, ``tuner_param_groups``).
"""
