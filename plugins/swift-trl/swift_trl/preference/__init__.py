"""Preference trainers of ``swift rlhf``: dpo, orpo, simpo, cpo, kto on trl.

:mod:`.data` encodes rows with swift's template, :mod:`.configs` maps the flags to
trl's configs, :mod:`.trainers` adapts trl's trainers, :mod:`.recipe` runs them.
"""
