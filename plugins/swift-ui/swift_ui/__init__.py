"""swift-ui: ``swift app`` and ``swift web-ui`` on gradio (imported only when a command runs)."""
