"""swift-sdk: what a plugin author needs to test a swift plugin.

* :mod:`swift_sdk.kernel` — a fresh kernel per test, in-process plugin registration,
  fake ``*.dist-info`` folders so entry-point discovery is tested without installing.
* :mod:`swift_sdk.tiny` — tiny offline tokenizer and model (``python -m swift_sdk.tiny DIR``).
* :mod:`swift_sdk.conformance` — per-family test classes an author points at a plugin.
* :mod:`swift_sdk.scaffold` — ``swift plugins new NAME --family F``.
* :mod:`swift_sdk.docs_gen` — the hook reference in docs/plugins/hooks.md.
* :mod:`swift_sdk.pytest_plugin` — the same as pytest fixtures (auto-loaded).
"""

__version__ = "0.1.0"
