"""swift-serve.

``swift deploy``, an OpenAI-compatible HTTP server over any swift engine, and ``swift rollout``, the same server
plus GRPO's generation and weight-sync routes (:mod:`swift_serve.rollout_app`, ``docs/rollout.md``).

The server speaks OpenAI's API (``/v1/models``, ``/v1/chat/completions``,
``/v1/completions``, SSE streaming, bearer keys) and talks to the engine only
through :mod:`swift.protocol`, so every ``--infer_backend`` is served the same way.
This package module imports nothing heavy; :mod:`swift_serve.app` holds the app.
"""
