"""The parts of ``swift export`` that need torch, transformers or huggingface_hub.

* :mod:`~swift_transformers.export.quantize` — ``--quant_method bnb|gptq|awq``.
* :mod:`~swift_transformers.export.calibration` — calibration texts for gptq/awq.
* :mod:`~swift_transformers.export.hub` — ``--push_to_hub``.

The core pipeline (``swift.pipelines.export``) sequences these steps and imports
them by name on use; this package module imports nothing heavy.
"""
