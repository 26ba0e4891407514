"""``swift web-ui`` in a real browser: form → command → YAML → job → live chart → restart → chat → stop."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time

import pytest
import yaml

# where the flags the tests set live (folded sections are opened as a user would)
SECTIONS = {
    "max_length": "TemplateArguments",
    "lora_rank": "LoraArguments",
    "output_dir": "HfSeq2SeqTrainingArguments",
    "max_steps": "HfSeq2SeqTrainingArguments",
    "logging_steps": "HfSeq2SeqTrainingArguments",
    "save_steps": "HfSeq2SeqTrainingArguments",
}


def shown(page, elem_id: str) -> str:
    """The selector of a field's input, its section opened first when folded."""
    selector = f"#{elem_id} textarea, #{elem_id} input"
    command, _, flag = elem_id.partition("-")
    if flag in SECTIONS and not page.locator(selector).first.is_visible():
        page.locator(f"#{command}-section-{SECTIONS[flag]}").get_by_role("button").first.click()
    return selector


def fill(page, elem_id: str, text: str) -> None:
    page.fill(shown(page, elem_id), text)


def field(page, elem_id: str) -> str:
    return page.input_value(shown(page, elem_id))


def wait_text(page, selector: str, needle: str, timeout: float = 120.0) -> str:
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        text = page.inner_text(selector)
        if needle in text:
            return text
        time.sleep(0.25)
    raise AssertionError(f"{needle!r} never appeared in {selector}: {text!r}")


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def chart_points(page, elem_id: str) -> int:
    """How many points the chart's line has (gradio draws it as an SVG path: ``M x,y L x,y …``)."""
    paths = page.evaluate(
        "(id) => Array.from(document.querySelectorAll('#' + id + ' .mark-line path')).map(p => p.getAttribute('d'))",
        elem_id,
    )
    return max((d.count("L") + 1 for d in paths if d), default=0)


def line_pixels(image_path) -> int:
    """Pixels of the line's orange in a screenshot of a chart."""
    from PIL import Image

    with Image.open(image_path) as image:
        data = image.convert("RGB").tobytes()
    return sum(1 for i in range(0, len(data), 3) if data[i] > 200 and 80 < data[i + 1] < 160 and data[i + 2] < 80)


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "chat.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": f"Question {i}?"}, {"role": "assistant", "content": f"Answer {i}."}]}
        for i in range(16)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_web_ui_form_job_chart_restart_chat_and_stop(
    tiny_model_dir, data_file, tmp_path, run_swift, free_port, page, screens
):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    ui = ["web-ui", "--server_port", str(port), "--ui_dir", str(tmp_path / "ui"), "--lang", "en"]
    out = tmp_path / "out"
    with run_swift(ui, tmp_path, url):
        page.goto(url)
        page.wait_for_selector("#sft-model textarea")
        screens.take(page, "webui-open")

        # a bad value is a readable message, no job
        fill(page, "sft-max_steps", "many")
        page.click("#sft-preview")
        assert "--max_steps" in wait_text(page, "#sft-status", "Error")

        # a missing file too, before any job starts
        fill(page, "sft-max_steps", "8")
        fill(page, "sft-model", tiny_model_dir)
        fill(page, "sft-dataset", str(tmp_path / "missing.jsonl"))
        page.click("#sft-preview")
        assert "Error" in wait_text(page, "#sft-status", "missing.jsonl")

        fill(page, "sft-dataset", str(data_file))
        fill(page, "sft-train_type", "lora")
        fill(page, "sft-lora_rank", "4")
        fill(page, "sft-max_length", "64")
        fill(page, "sft-output_dir", str(out))
        fill(page, "sft-max_steps", "8")
        fill(page, "sft-logging_steps", "1")
        fill(page, "sft-save_steps", "4")
        page.click("#sft-preview")
        expected = (
            f"swift sft --model {tiny_model_dir} --max_length 64 --dataset {data_file} --lora_rank 4 "
            f"--output_dir {out} --max_steps 8 --logging_steps 1 --save_steps 4"
        )
        wait_text(page, "#sft-command-line", "--save_steps 4")
        shown = page.inner_text("#sft-command-line .cm-content").strip()
        assert shlex.split(shown) == shlex.split(expected), shown
        assert "Error" not in page.inner_text("#sft-status")
        screens.take(page, "webui-preview")

        # save the YAML; a fresh page loads it back into the form
        config = tmp_path / "sft.yaml"
        fill(page, "sft-config-path", str(config))
        page.click("#sft-save")
        wait_text(page, "#sft-status", "Saved")
        assert yaml.safe_load(config.read_text()) == {
            "model": tiny_model_dir,
            "max_length": 64,
            "dataset": [str(data_file)],
            "lora_rank": 4,
            "output_dir": str(out),
            "logging_steps": 1,
            "max_steps": 8,
            "save_steps": 4,
        }
        page.reload()
        page.wait_for_selector("#sft-model textarea")
        assert field(page, "sft-model") == ""
        fill(page, "sft-config-path", str(config))
        page.click("#sft-load")
        wait_text(page, "#sft-status", "Loaded")
        assert field(page, "sft-model") == tiny_model_dir and field(page, "sft-max_steps") == "8"
        page.click("#sft-preview")
        wait_text(page, "#sft-command-line", "--save_steps 4")
        assert shlex.split(page.inner_text("#sft-command-line .cm-content")) == shlex.split(expected)

        # run it: the Runs tab follows the job by itself (no refresh click)
        page.click("#sft-run")
        wait_text(page, "#sft-status", "Started")
        open_tab(page, "Runs")
        wait_text(page, "#runs-info", "finished", timeout=240)
        deadline = time.time() + 30
        while chart_points(page, "runs-loss") < 8 and time.time() < deadline:
            time.sleep(0.5)
        assert chart_points(page, "runs-loss") == 8, "one point per logged step"
        chart = tmp_path / "screens" / "loss-chart.png"
        page.locator("#runs-loss").screenshot(path=str(chart))
        assert line_pixels(chart) > 100, "the screenshot of the loss chart shows no line"
        assert "run folder" in page.inner_text("#runs-info")
        assert "checkpoint-8" in field(page, "runs-checkpoint")
        screens.take(page, "webui-run-finished")

    run_dirs = sorted(out.glob("v*-*"))
    assert len(run_dirs) == 1
    losses = [json.loads(line) for line in (run_dirs[0] / "logging.jsonl").read_text().splitlines()]
    assert sum("loss" in r for r in losses) >= 8

    # the previewed command, run in a shell, makes the same run
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    shell = subprocess.run(["bash", "-c", expected], cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert shell.returncode == 0, shell.stderr[-3000:]
    first, second = sorted(out.glob("v*-*"))
    a, b = (json.loads((d / "args.json").read_text()) for d in (first, second))
    assert {k: v for k, v in a.items() if k != "output_dir"} == {k: v for k, v in b.items() if k != "output_dir"}

    # a new UI process lists the run from disk; chat with its checkpoint; stop a second job
    with run_swift(ui, tmp_path, url):
        page.goto(url)
        open_tab(page, "Runs")
        wait_text(page, "#runs-info", "finished")
        assert "-sft" in field(page, "runs-job")
        page.click("#runs-chat")
        wait_text(page, "#chat-status", "Loaded", timeout=120)
        assert "checkpoint-8" in page.inner_text("#chat-status")
        page.fill("#message textarea", "Question 3?")
        page.click("#send")
        page.wait_for_selector('#chatbot [data-testid="bot"]')
        screens.take(page, "webui-chat-checkpoint")

        # merge it: an export job, followed in the Runs tab until it ends
        open_tab(page, "Runs")
        page.click("#runs-merge")
        wait_text(page, "#runs-info", "swift export --ckpt_dir")
        wait_text(page, "#runs-info", "finished", timeout=120)
        merged = next(out.glob("v0-*/checkpoint-8-merged"))
        assert (merged / "config.json").is_file() and list(merged.glob("*.safetensors"))

        open_tab(page, "Train (sft / pt)")
        fill(page, "sft-model", tiny_model_dir)
        fill(page, "sft-dataset", str(data_file))
        fill(page, "sft-output_dir", str(tmp_path / "long"))
        fill(page, "sft-max_steps", "100000")
        fill(page, "sft-save_steps", "100000")
        fill(page, "sft-logging_steps", "1")
        page.click("#sft-run")
        wait_text(page, "#sft-status", "Started")
        open_tab(page, "Runs")
        page.wait_for_timeout(2500)
        info = wait_text(page, "#runs-info", "running")
        assert "--max_steps 100000" in info
        # the chart of the running job gains points by itself
        deadline = time.time() + 120
        while chart_points(page, "runs-loss") < 2 and time.time() < deadline:
            time.sleep(0.25)
        before = chart_points(page, "runs-loss")
        deadline = time.time() + 60
        while chart_points(page, "runs-loss") <= before and time.time() < deadline:
            time.sleep(0.25)
        assert chart_points(page, "runs-loss") > before >= 2
        page.click("#runs-stop")
        wait_text(page, "#runs-info", "stopped", timeout=60)
        screens.take(page, "webui-stopped")
        job = sorted((tmp_path / "ui").iterdir())[-1]
        assert (job / "exit_code").read_text().strip() != "0"
        pid = int((job / "pid").read_text())
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)  # the job's whole process group is gone


def test_web_ui_in_chinese(tmp_path, run_swift, free_port, page, screens):
    port = free_port()
    with run_swift(
        ["web-ui", "--server_port", str(port), "--ui_dir", str(tmp_path / "ui")], tmp_path, f"http://127.0.0.1:{port}/"
    ):
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("#sft-model textarea")
        text = page.inner_text("body")
        for label in ("训练 (sft / pt)", "预览命令", "开始运行", "运行记录", "模型参数", "数据集参数"):
            assert label in text, label
        screens.take(page, "webui-zh")
