"""Body of ``swift web-ui``: train, align, chat, export and evaluate from a browser.

Each command tab is a form generated from the command's argument dataclasses
(:mod:`swift_ui.form`): "Preview command" shows the exact ``swift …`` line, "Save config"
writes the YAML that ``swift <command> config.yaml`` reads, "Run" starts the command as a
job (:mod:`swift_ui.jobs`) whose state lives on disk under ``--ui_dir``. The Runs tab lists
the jobs (also those of an earlier UI process), tails their logs, charts loss and learning
rate from ``logging.jsonl`` as they grow, stops a job, and opens or merges a checkpoint.

``swift web-ui --model/--adapters/--ckpt_dir …`` runs ``swift app`` instead (as ms-swift).
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

from swift.kernel import SwiftError, get_kernel
from swift_ui.access import launch
from swift_ui.chat import ChatTarget, GenerationDefaults, build_chat_panel, connect, serve_locally
from swift_ui.form import CommandForm, FieldSpec
from swift_ui.i18n import Texts
from swift_ui.jobs import Job, JobStore

# Sections shown open; the others are folded (they are many).
_OPEN_SECTIONS = {"ModelArguments", "DataArguments", "BaseArguments", "RLHFArguments", "ExportArguments"}
_REFRESH_SECONDS = 2.0
_COLUMNS = 3
_LOG_LINES = 40


def _widget(gr: Any, command: str, spec: FieldSpec) -> Any:
    label = f"--{spec.name}"
    info = f"{spec.help} [{spec.type_text}; default: {spec.initial if spec.initial != '' else 'None'}]"
    elem_id = f"{command}-{spec.name}"
    if spec.kind == "bool":
        return gr.Checkbox(value=spec.initial, label=label, info=info, elem_id=elem_id)
    if spec.kind == "choice":
        return gr.Dropdown(choices=list(spec.choices), value=spec.initial, label=label, info=info, elem_id=elem_id)
    return gr.Textbox(value=spec.initial, label=label, info=info, elem_id=elem_id, max_lines=4)


class CommandTab:
    """A tab running one or more commands that share a form (``sft``/``pt``)."""

    def __init__(self, gr: Any, texts: Texts, store: JobStore, commands: list[str]):
        self.gr, self.texts, self.store = gr, texts, store
        self.forms = {c: CommandForm.of(c) for c in commands}
        self.form = self.forms[commands[0]]
        key = commands[0]
        with gr.Row():
            self.command = gr.Radio(commands, value=key, label=texts["command"], elem_id=f"{key}-command")
        # the command bar first: the sections below are long
        with gr.Row():
            preview = gr.Button(texts["preview"], elem_id=f"{key}-preview")
            run = gr.Button(texts["run"], variant="primary", elem_id=f"{key}-run")
        self.command_box = gr.Code(label=texts["command"], language="shell", elem_id=f"{key}-command-line")
        with gr.Row():
            config_path = gr.Textbox(label=texts["config_path"], elem_id=f"{key}-config-path", scale=3)
            save = gr.Button(texts["save_config"], elem_id=f"{key}-save")
            load = gr.Button(texts["load_config"], elem_id=f"{key}-load")
        self.status = gr.Markdown(elem_id=f"{key}-status")
        self.widgets: dict[str, Any] = {}
        for section in self.form.sections:
            title = texts.group(section.key, section.title)
            with gr.Accordion(title, open=section.key in _OPEN_SECTIONS, elem_id=f"{key}-section-{section.key}"):
                for start in range(0, len(section.fields), _COLUMNS):
                    with gr.Row(equal_height=False):
                        for spec in section.fields[start : start + _COLUMNS]:
                            self.widgets[spec.name] = _widget(gr, key, spec)
        names = list(self.widgets)
        inputs = [self.command, *self.widgets.values()]

        def values(args: tuple) -> tuple[CommandForm, dict[str, Any]]:
            return self.forms[args[0]], dict(zip(names, args[1:], strict=True))

        def on_preview(*args):
            form, vals = values(args)
            try:
                form.validate(form.argv(vals))
            except SwiftError as exc:
                return form.command_line(vals), self._error(exc)
            return form.command_line(vals), ""

        def on_run(*args):
            form, vals = values(args)
            argv = form.argv(vals)
            try:
                form.validate(argv)
            except SwiftError as exc:
                return form.command_line(vals), self._error(exc)
            job = store.start(form.command, argv)
            return job.command_line, f"**{texts['started']}**: `{job.id}` — {texts['tab_runs']}"

        def on_save(path, *args):
            form, vals = values(args)
            if not path or not path.strip():
                return self._error(texts["config_path"])
            try:
                text = _yaml_dump(form.config(vals))
                folder = os.path.dirname(os.path.abspath(path))
                os.makedirs(folder, exist_ok=True)
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
            except (SwiftError, OSError) as exc:
                return self._error(exc)
            return f"**{texts['saved']}**: `{os.path.abspath(path)}`"

        def on_load(path, command):
            from swift.arguments.parser import load_config_file

            form = self.forms[command]
            try:
                vals = form.values_from_config(load_config_file((path or "").strip()))
            except Exception as exc:  # noqa: BLE001 - a bad file (YAML syntax, types) is a message, not a crash
                return [gr.update()] * len(names) + [self._error(exc)]
            # the loaded file is the whole form: flags it leaves out go back to their defaults
            updates = [vals.get(n, form.fields[n].initial) for n in names]
            return [*updates, f"**{texts['loaded_config']}**: `{os.path.abspath(path.strip())}`"]

        def on_command(command):
            form = self.forms[command]
            return [form.fields[n].initial for n in names]

        preview.click(on_preview, inputs, [self.command_box, self.status])
        run.click(on_run, inputs, [self.command_box, self.status])
        save.click(on_save, [config_path, *inputs], self.status)
        load.click(on_load, [config_path, self.command], [*self.widgets.values(), self.status])
        if len(commands) > 1:
            self.command.change(on_command, self.command, list(self.widgets.values()))

    def _error(self, exc: Any) -> str:
        return f"**{self.texts['error']}**: {exc}"


def _yaml_dump(data: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


class ChatTab:
    """The chat tab: load a model or checkpoint (served in this process) and chat with it."""

    def __init__(self, gr: Any, texts: Texts):
        self.gr, self.texts = gr, texts
        self._lock = threading.Lock()
        self._stack: contextlib.ExitStack | None = None
        self.target: ChatTarget | None = None
        with gr.Row():
            self.path = gr.Textbox(label=texts["model_or_ckpt"], elem_id="chat-path", scale=4)
            self.flags = gr.Textbox(label=texts["more_flags"], elem_id="chat-flags", scale=3)
            self.load = gr.Button(texts["load"], variant="primary", elem_id="chat-load")
            unload = gr.Button(texts["unload"], elem_id="chat-unload")
        self.status = gr.Markdown(elem_id="chat-status")
        self.panel = build_chat_panel(gr, texts, lambda: self.target, GenerationDefaults(), [])
        self.load.click(self.open, [self.path, self.flags], [self.status, self.panel["model"]])
        unload.click(self.close_and_say, None, [self.status, self.panel["model"]])

    def open(self, path: str, flags: str = ""):
        """Serve ``path`` (a model folder or a checkpoint of a run) and point the panel at it.

        ``flags`` are further ``swift app`` flags (``--infer_backend vllm --torch_dtype bfloat16`` …).
        """
        import shlex

        from swift.arguments import parse_args
        from swift.arguments.checkpoint import is_adapter_dir
        from swift.cli.main import command_arguments
        from swift.pipelines.checks import check_before_work

        gr, texts = self.gr, self.texts
        path = (path or "").strip()
        if not path:
            return self._say(texts["no_model"]), gr.update()
        flag = "--ckpt_dir" if os.path.isfile(os.path.join(path, "args.json")) or is_adapter_dir(path) else "--model"
        with self._lock:
            self.close()
            try:
                cls, groups = command_arguments("app")
                # served inside this page: no interface, no port of its own to check
                argv = [flag, path, "--server_port", "0", *shlex.split(flags or "")]
                args = parse_args(cls, argv, extra_groups=groups, prog="swift app")
                check_before_work(get_kernel().registry("commands").get("app"), args)
                stack = contextlib.ExitStack()
                url = stack.enter_context(serve_locally(args))
                self.target = connect(url)
                stack.callback(self.target.close)
                self._stack = stack
            except Exception as exc:  # noqa: BLE001 - any load failure is shown in the page, the UI stays up
                self.close()
                return self._say(f"{texts['error']}: {exc}"), gr.update(choices=[], value=None)
        names = self.target.names
        return (
            f"**{texts['loaded']}**: `{path}` ({flag}) → `{self.target.url}`",
            gr.update(choices=names, value=names[0]),
        )

    def close(self) -> None:
        """Stop serving the loaded model (nothing loaded: nothing to do)."""
        if self._stack is not None:
            self._stack.close()
        self._stack, self.target = None, None

    def close_and_say(self):
        """The Unload button: close and empty the model choices."""
        with self._lock:
            self.close()
        return "", self.gr.update(choices=[], value=None)

    def _say(self, text: str) -> str:
        return f"**{text}**"


class RunsTab:
    """Jobs of ``--ui_dir``: state, log, live charts, stop, chat with / merge a checkpoint."""

    def __init__(self, gr: Any, texts: Texts, store: JobStore, chat: ChatTab, chat_tab_id: str, tabs: Any):
        self.gr, self.texts, self.store = gr, texts, store
        with gr.Row():
            self.job = gr.Dropdown(choices=self._choices(), label=texts["job"], elem_id="runs-job", scale=4)
            refresh = gr.Button(texts["refresh"], elem_id="runs-refresh")
            stop = gr.Button(texts["stop"], variant="stop", elem_id="runs-stop")
        self.info = gr.Markdown(elem_id="runs-info")
        with gr.Row():
            self.loss = gr.LinePlot(
                _frame([], "loss"), x="step", y="loss", title=texts["loss_chart"], elem_id="runs-loss", height=260
            )
            self.lr = gr.LinePlot(
                _frame([], "learning_rate"), x="step", y="learning_rate", title=texts["lr_chart"],
                elem_id="runs-lr", height=260,
            )  # fmt: skip
        self.log = gr.Textbox(label=texts["log"], lines=12, max_lines=12, elem_id="runs-log", autoscroll=True)
        with gr.Row():
            self.checkpoint = gr.Dropdown(choices=[], label=texts["checkpoint"], elem_id="runs-checkpoint", scale=4)
            chat_button = gr.Button(texts["chat_ckpt"], elem_id="runs-chat")
            merge = gr.Button(texts["merge_ckpt"], elem_id="runs-merge")
        # the newest job this page has seen: a newer one (just started) is followed at once
        newest = gr.State(self.store.jobs()[0].id if self.store.jobs() else None)
        # the checkpoint the user picked by hand; until then the newest one is followed as it is written
        picked = gr.State(None)
        self.checkpoint.input(lambda value: value, self.checkpoint, picked)
        inputs = [self.job, picked, newest]
        outputs = [self.job, self.info, self.loss, self.lr, self.log, self.checkpoint, newest]
        timer = gr.Timer(_REFRESH_SECONDS)
        timer.tick(self.show, inputs, outputs, show_progress="hidden")
        refresh.click(self.show, inputs, outputs)
        self.job.change(self.show, inputs, outputs, show_progress="hidden")
        stop.click(self.stop, self.job, self.info)
        merge.click(self.merge, self.checkpoint, self.info)

        def to_chat(checkpoint):
            if not checkpoint:
                return gr.update(), gr.update()
            return checkpoint, gr.Tabs(selected=chat_tab_id)

        chat_button.click(to_chat, self.checkpoint, [chat.path, tabs]).success(
            chat.open, [chat.path, chat.flags], [chat.status, chat.panel["model"]]
        )

    def _choices(self) -> list[tuple[str, str]]:
        return [(self._label(job), job.id) for job in self.store.jobs()]

    def _label(self, job: Job) -> str:
        return f"{job.id} — {self.texts[job.state]}"

    def show(self, job_id: str | None, picked: str | None, newest: str | None):
        """Everything the tab shows of ``job_id`` (a newer job than ``newest``, just started, is shown instead).

        The checkpoint shown is the one the user ``picked`` when it belongs to the job, else the
        newest (so a running job's list follows each save).
        """
        gr = self.gr
        choices = self._choices()
        if choices and (not job_id or choices[0][1] != newest):
            job_id = choices[0][1]
        newest = choices[0][1] if choices else None
        job = self.store.get(job_id) if job_id else None
        if job is None:
            empty = _frame([], "loss"), _frame([], "learning_rate")
            return gr.update(choices=choices), self.texts["no_runs"], *empty, "", gr.update(), newest
        lines = [
            f"**{self.texts['status']}**: {self.texts[job.state]}",
            f"`{job.command_line}`",
        ]
        if job.run_dir:
            lines.append(f"run folder: `{job.run_dir}`")
        error = job.error()
        if error:
            lines.append(f"**{self.texts['error']}**: {error}")
        rows = job.history()
        checkpoints = job.checkpoints()
        chosen = picked if picked in checkpoints else (checkpoints[-1] if checkpoints else None)
        return (
            gr.update(choices=choices, value=job_id),
            "\n\n".join(lines),
            _frame(rows, "loss"),
            _frame(rows, "learning_rate"),
            "\n".join(job.log().splitlines()[-_LOG_LINES:]),
            gr.update(choices=checkpoints, value=chosen),
            newest,
        )

    def stop(self, job_id: str | None) -> str:
        """The Stop button."""
        job = self.store.get(job_id) if job_id else None
        if job is None:
            return self.texts["no_runs"]
        job.stop()
        return f"**{self.texts['status']}**: {self.texts[job.state]}"

    def merge(self, checkpoint: str | None) -> str:
        """The Merge button: a ``swift export --merge_lora`` job of the checkpoint."""
        if not checkpoint:
            return f"**{self.texts['error']}**: {self.texts['checkpoint']}?"
        job = self.store.start("export", ["--ckpt_dir", checkpoint, "--merge_lora", "true"])
        return f"**{self.texts['started']}**: `{job.id}` — `{job.command_line}`"


def _frame(rows: list[dict[str, Any]], key: str) -> Any:
    import pandas as pd

    points = [
        (row.get("global_step", i), row[key]) for i, row in enumerate(rows) if isinstance(row.get(key), (int, float))
    ]
    return pd.DataFrame(points, columns=["step", key]).astype({"step": "int64", key: "float64"})


def build_web_ui(args: Any) -> Any:
    """The gradio page of ``swift web-ui``."""
    import gradio as gr

    texts = Texts(args.lang)
    store = JobStore(args.ui_dir)
    commands = get_kernel().registry("commands")
    with gr.Blocks(title=texts["title"], analytics_enabled=False) as page:
        gr.Markdown(f"# {texts['title']}", elem_id="title")
        with gr.Tabs() as tabs:
            with gr.Tab(texts["tab_sft"], id="sft"):
                CommandTab(gr, texts, store, ["sft", "pt"])
            with gr.Tab(texts["tab_rlhf"], id="rlhf"):
                CommandTab(gr, texts, store, ["rlhf"])
            with gr.Tab(texts["tab_infer"], id="chat"):
                chat = ChatTab(gr, texts)
            with gr.Tab(texts["tab_export"], id="export"):
                CommandTab(gr, texts, store, ["export"])
            if not commands.get("eval").provided_by:  # swift-eval installed: its record overrides the declaration
                with gr.Tab(texts["tab_eval"], id="eval"):
                    CommandTab(gr, texts, store, ["eval"])
            with gr.Tab(texts["tab_runs"], id="runs"):
                RunsTab(gr, texts, store, chat, "chat", tabs)
    page.chat_tab = chat
    return page


def web_ui_main(args: Any) -> int:
    """Run ``swift web-ui`` until interrupted (``args``: ``WebUIArguments``)."""
    page = build_web_ui(args)
    try:
        launch(page, args, "swift web-ui")
    finally:
        page.chat_tab.close()
    return 0
