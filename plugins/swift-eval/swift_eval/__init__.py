"""swift-eval: ``swift eval`` with lm-evaluation-harness over any swift engine or OpenAI-compatible server.

The model is served in-process by ``swift deploy``'s app (any ``--infer_backend``), or
``--eval_url`` names a running server; lm-eval's API models (``local-completions`` for
log-likelihood, ``local-chat-completions`` for generation through the model's template)
talk to it over HTTP. See the README.
"""
