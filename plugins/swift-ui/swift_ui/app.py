"""Body of ``swift app``: a browser chat with a model, a trained checkpoint or a running server.

Examples::

    swift app --model Qwen/Qwen2.5-0.5B-Instruct                    # any installed engine
    swift app --ckpt_dir output/v0-x/checkpoint-100 --lang zh       # model and template from args.json
    swift app --adapters a=ckpt_a b=ckpt_b --model base             # pick the adapter in the page
    swift app --base_url http://127.0.0.1:8000/v1 --api_key ...     # a running swift deploy / vLLM / any OpenAI server

The page binds 127.0.0.1:7860 unless told otherwise (see :mod:`swift_ui.access`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

from swift_ui.access import launch
from swift_ui.chat import ChatTarget, GenerationDefaults, build_chat_panel, connect, serve_locally
from swift_ui.i18n import Texts


def build_app(args: Any, target: ChatTarget) -> Any:
    """The gradio page of ``swift app`` chatting with ``target``."""
    import gradio as gr

    texts = Texts(args.lang)
    title = args.studio_title or _model_title(args, target)
    with gr.Blocks(title=title, analytics_enabled=False) as page:
        gr.Markdown(f"## {title}\n{texts['served_by']}: `{target.url}`", elem_id="title")
        build_chat_panel(gr, texts, lambda: target, GenerationDefaults.from_args(args), target.names)
    return page


def _model_title(args: Any, target: ChatTarget) -> str:
    if args.model and not args.base_url:
        return os.path.basename(str(args.model).rstrip("/")) or target.names[0]
    return target.names[0]


def app_main(args: Any) -> int:
    """Run ``swift app`` until interrupted (``args``: ``AppArguments``)."""
    with contextlib.ExitStack() as stack:
        if args.base_url:
            url, key = args.base_url, args.api_key
        else:
            url, key = stack.enter_context(serve_locally(args)), None
            print(f"swift app: {args.model} served for this page at {url}", file=sys.stderr)
        target = connect(url, key, args.model if args.base_url else None)
        stack.callback(target.close)
        launch(build_app(args, target), args, "swift app")
    return 0
