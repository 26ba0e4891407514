"""The ``sft`` and ``pt`` trainers of swift-transformers.

:mod:`.catalog` holds the records (light); :mod:`.recipe` composes models,
templates, datasets and tuners into a transformers ``Trainer`` run.
"""
