"""swift-transformers: the transformers-based plugin of swift.

Model loading, dataset loading and preprocessing, the sft/pt trainers and the
``pt`` inference engine. Hooks live in :mod:`swift_transformers.hooks`, which
imports nothing heavy.
"""

__version__ = "0.1.0"
