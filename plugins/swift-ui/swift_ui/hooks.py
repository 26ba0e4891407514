"""Hooks of swift-ui. Light: gradio is imported only when a command runs."""

from __future__ import annotations

from swift.kernel import CommandRecord, UsageError, hookimpl

# Override the core's declarations of `app` and `web-ui` (same arguments and families).
APP = CommandRecord(
    name="app",
    load="swift_ui.app:app_main",
    summary="Chat with a model in a browser app.",
    arguments="swift.arguments:AppArguments",
    families=("models", "templates", "agent_templates", "datasets", "tuners", "engines"),
    order=40,
)
WEB_UI = CommandRecord(
    name="web-ui",
    load="swift_ui.webui:web_ui_main",
    summary="Launch the training and inference web UI.",
    arguments="swift.arguments:WebUIArguments",
    families=(),
    order=41,
)


@hookimpl
def swift_register_commands():
    yield APP
    yield WEB_UI


@hookimpl
def swift_check_args(command, args):
    if command not in ("app", "web-ui"):
        return
    from swift_ui.access import check_access

    if command == "app":
        if not args.model and not args.base_url:
            raise UsageError(
                "swift app needs a model: --model (or --adapters/--ckpt_dir of a training run), "
                "or --base_url of a running OpenAI-compatible server"
            )
        if args.is_multimodal:
            raise UsageError("swift app: --is_multimodal true: image and audio inputs are not supported yet")
    check_access(args)
