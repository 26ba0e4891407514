"""The web UI's forms come from the argument dataclasses; the interfaces are private by default."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest


def swift(*argv, env=None, cwd=None, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "swift.cli.main", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=timeout,
    )


def page_elem_ids(page) -> set[str]:
    return {block.elem_id for block in page.blocks.values() if getattr(block, "elem_id", None)}


def test_every_flag_of_sft_help_has_a_field_in_the_sft_tab(tmp_path):
    from swift_ui.webui import build_web_ui

    from swift.arguments import WebUIArguments

    help_text = swift("sft", "--help").stdout
    flags = set(re.findall(r"^  --([A-Za-z0-9_]+)", help_text, re.M))
    assert len(flags) > 200  # the whole reference, not a sample
    ids = page_elem_ids(build_web_ui(WebUIArguments(ui_dir=str(tmp_path / "ui"), lang="en")))
    missing = sorted(f for f in flags if f"sft-{f}" not in ids)
    assert not missing, missing
    rlhf = set(re.findall(r"^  --([A-Za-z0-9_]+)", swift("rlhf", "--help").stdout, re.M))
    assert not sorted(f for f in rlhf if f"rlhf-{f}" not in ids)


def test_a_plugin_argument_group_appears_in_the_form_without_ui_code(tmp_path):
    from swift_ui.form import CommandForm

    from swift.kernel import get_kernel

    plugin = tmp_path / "warmup_plugin.py"
    plugin.write_text(
        "from dataclasses import dataclass, field\n"
        "from swift.kernel import hookimpl, ArgumentGroupRecord\n"
        "@dataclass\n"
        "class WarmupArguments:\n"
        '    """Warm-up: a plugin\'s own flag."""\n'
        '    warmup_tokens: int = field(default=0, metadata={"help": "tokens seen before the schedule starts"})\n'
        "@hookimpl\n"
        "def swift_register_arguments():\n"
        '    yield ArgumentGroupRecord(name="warmup", load=f"{__name__}:WarmupArguments", commands=("sft",))\n'
    )
    get_kernel().add_plugin_files([str(plugin)])
    form = CommandForm.of("sft")
    assert form.sections[-1].key == "WarmupArguments"
    spec = form.fields["warmup_tokens"]
    assert (spec.kind, spec.initial, spec.help) == ("text", "0", "tokens seen before the schedule starts")
    values = {"model": "m", "warmup_tokens": "128"}
    assert form.command_line(values) == "swift sft --model m --warmup_tokens 128"
    assert form.check(form.argv(values)).warmup_tokens == 128


def test_form_values_become_the_command_line_and_the_yaml_config_and_back():
    from swift_ui.form import CommandForm

    from swift.arguments import ArgumentError

    form = CommandForm.of("sft")
    values = {
        "model": "/models/my model",  # quoted for the shell
        "dataset": "a.jsonl 'b c.jsonl'",
        "gradient_checkpointing": False,  # a checkbox off (default on)
        "torch_dtype": "bfloat16",  # a dropdown
        "learning_rate": "2e-5",
        "lora_target_modules": "all-linear",
        "max_steps": "-1",  # the default, typed again: not written
    }
    line = form.command_line(values)
    assert line == (
        "swift sft --model '/models/my model' --torch_dtype bfloat16 --dataset a.jsonl 'b c.jsonl' "
        "--learning_rate 2e-5 --gradient_checkpointing false"
    ), line
    args = form.check(form.argv(values))
    assert args.dataset == ["a.jsonl", "b c.jsonl"] and args.learning_rate == 2e-5
    config = form.config(values)
    assert config == {
        "model": "/models/my model",
        "torch_dtype": "bfloat16",
        "dataset": ["a.jsonl", "b c.jsonl"],
        "learning_rate": 2e-5,
        "gradient_checkpointing": False,
    }
    back = form.values_from_config(config)
    assert form.config(back) == config
    assert back["dataset"] == "a.jsonl 'b c.jsonl'" and back["gradient_checkpointing"] == "false"
    with pytest.raises(ArgumentError, match="--learning_rat"):
        form.values_from_config({"learning_rat": 1})
    with pytest.raises(ArgumentError, match="--max_steps"):
        form.check(form.argv({"max_steps": "many"}))


def test_a_public_address_without_a_login_is_refused_before_anything_starts(tmp_path):
    started = time.time()
    result = swift("web-ui", "--server_name", "0.0.0.0", "--ui_dir", str(tmp_path / "ui"), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "--auth user:password" in result.stderr and "--allow_public" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.time() - started < 30 and list(tmp_path.iterdir()) == []
    shared = swift("app", "--base_url", "http://127.0.0.1:9/v1", "--share", "true", cwd=tmp_path)
    assert shared.returncode == 2 and "share link" in shared.stderr
    bad = swift("web-ui", "--auth", "nopassword", cwd=tmp_path)
    assert bad.returncode == 2 and "user:password" in bad.stderr


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_login_from_the_environment_protects_a_public_address(tmp_path, run_swift, free_port):
    port = free_port()
    argv = ["web-ui", "--server_name", "0.0.0.0", "--server_port", str(port), "--ui_dir", str(tmp_path / "ui")]
    url = f"http://127.0.0.1:{port}"
    with run_swift(argv, tmp_path, url + "/", env={"SWIFT_UI_AUTH": "ana:s3cret"}) as (process, log):
        assert _status(url + "/config") == 401  # the page's contents need the login
        login = urllib.request.Request(
            url + "/login", data=b"username=ana&password=s3cret", method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        with urllib.request.urlopen(login, timeout=10) as response:
            assert response.status == 200
        wrong = urllib.request.Request(
            url + "/login", data=b"username=ana&password=guess", method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(wrong, timeout=10)
        assert "s3cret" not in " ".join(process.args)


def test_allow_public_serves_without_a_login_and_says_so(tmp_path, run_swift, free_port):
    port = free_port()
    argv = ["web-ui", "--server_name", "0.0.0.0", "--allow_public", "true", "--server_port", str(port)]
    argv += ["--ui_dir", str(tmp_path / "ui")]
    with run_swift(argv, tmp_path, f"http://127.0.0.1:{port}/") as (process, log):
        assert _status(f"http://127.0.0.1:{port}/config") == 200
        assert "without a login" in log.read_text()


def test_web_ui_with_a_model_runs_the_app_as_ms_swift_does(tiny_model_dir, tmp_path, run_swift, free_port):
    port = free_port()
    argv = ["web-ui", "--model", tiny_model_dir, "--server_port", str(port)]
    with run_swift(argv, tmp_path, f"http://127.0.0.1:{port}/") as (process, log):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10) as response:
            config = response.read().decode()
        assert "tiny-qwen3" in config and "chatbot" in config
        assert "running `swift app`" in log.read_text()


def test_the_ui_plugin_keeps_the_cli_light():
    code = (
        "import sys\n"
        "from swift.cli.main import main\n"
        "main(['--help'])\n"
        "from swift.kernel import get_kernel\n"
        "assert get_kernel().registry('commands').get('web-ui').load.startswith('swift_ui')\n"
        "print('gradio' in sys.modules, 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False False"
