"""Arguments of ``swift web-ui`` and ``swift app`` (Gradio interfaces)."""

from typing import Literal

from swift.arguments._fields import arg, argclass
from swift.arguments.infer import DeployArguments


@argclass
class WebUIArguments:
    """Web UI server."""

    server_name: str = arg("0.0.0.0", "Host the web UI binds to.")
    server_port: int = arg(7860, "Port of the web UI.")
    share: bool = arg(False, "Create a public Gradio share link.")
    lang: Literal["zh", "en"] = arg("zh", "Interface language.")


@argclass
class AppArguments(WebUIArguments, DeployArguments):
    """Arguments of ``swift app``: a chat UI over a local deployment or a remote server."""

    base_url: str | None = arg(None, "OpenAI-compatible server to chat with, e.g. http://127.0.0.1:8000/v1.")
    studio_title: str | None = arg(None, "Page title; unset = the model name.")
    is_multimodal: bool | None = arg(None, "Show image/audio inputs; unset = detected from the model.")
    lang: Literal["zh", "en"] = arg("en", "Interface language.")
    verbose: bool = arg(False, "Log every request of the local server.")
    stream: bool = arg(True, "Stream the output.")
