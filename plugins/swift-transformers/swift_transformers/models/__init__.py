"""Model types and model loading on transformers.

:mod:`swift_transformers.models.catalog` holds the record table (light, imported by
the hooks); :mod:`swift_transformers.models.loading` resolves ``--model`` and
``--model_type`` and loads ``(model, tokenizer)``.
"""
