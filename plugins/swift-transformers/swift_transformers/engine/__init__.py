"""The ``pt`` inference engine (``--infer_backend pt``), built on transformers' ``generate``.

:class:`swift_transformers.engine.pt.PtEngine` is the implementation; this package
module imports nothing heavy so that listing engines stays cheap.
"""
