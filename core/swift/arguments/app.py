"""Arguments of ``swift web-ui`` and ``swift app`` (Gradio interfaces).

Both bind 127.0.0.1 by default. Another address needs a login (``--auth`` or
``$SWIFT_UI_AUTH``) unless ``--allow_public`` says an open interface is meant.
"""

import os
from typing import Literal

from swift.arguments._fields import arg, argclass
from swift.arguments.infer import DeployArguments

UI_AUTH_ENV = "SWIFT_UI_AUTH"


@argclass
class GradioArguments:
    """Web interface: address, login and language."""

    server_name: str = arg("127.0.0.1", "Address the interface binds to; 0.0.0.0 needs --auth or --allow_public.")
    server_port: int = arg(7860, "Port of the interface.")
    share: bool = arg(False, "Create a public Gradio share link (needs --auth or --allow_public too).")
    lang: Literal["zh", "en"] = arg("zh", "Interface language.")
    auth: str | None = arg(None, f"Login as user:password (several: a,b); unset = ${UI_AUTH_ENV} (kept out of `ps`).")
    allow_public: bool = arg(False, "Serve a non-local address without a login (a warning is printed).")

    def __post_init__(self) -> None:
        if self.auth is None:
            self.auth = os.environ.get(UI_AUTH_ENV) or None


@argclass
class WebUIArguments(GradioArguments):
    """Arguments of ``swift web-ui``: the training, inference and export interface."""

    ui_dir: str = arg("output/web-ui", "Where the interface keeps its jobs (command, pid, log, exit status).")


@argclass
class AppArguments(GradioArguments, DeployArguments):
    """Arguments of ``swift app``: a chat UI over a local deployment or a remote server."""

    base_url: str | None = arg(None, "OpenAI-compatible server to chat with, e.g. http://127.0.0.1:8000/v1.")
    studio_title: str | None = arg(None, "Page title; unset = the model name.")
    is_multimodal: bool | None = arg(None, "Show image/audio inputs; unset = detected from the model.")
    lang: Literal["zh", "en"] = arg("en", "Interface language.")
    verbose: bool = arg(False, "Log every request of the local server.")
    stream: bool = arg(True, "Stream the output.")

    def __post_init__(self) -> None:
        DeployArguments.__post_init__(self)
        GradioArguments.__post_init__(self)
