"""A vision-language model from the command line: ``swift sft`` on images, ``swift infer``, ``swift deploy``.

What a user does with Qwen2-VL: a JSONL of ``<image>`` rows with image paths beside it, LoRA
training, answers for a validation file, a chat on the terminal with an image path, and a
server that the official openai client sends ``image_url`` parts to.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from swift_sdk.cli import run_swift, swift_command


def _image(path: Path, color: tuple[int, int, int], size=(84, 56)) -> Path:
    from PIL import Image

    Image.new("RGB", size, color).save(path)
    return path


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A folder with a tiny Qwen2-VL, images/ and train.jsonl (relative image paths)."""
    from swift_sdk.tiny_vision import build_tiny_vision_model

    folder = tmp_path_factory.mktemp("vision-cli")
    build_tiny_vision_model(folder / "tiny-qwen2-vl")
    (folder / "images").mkdir()
    rows = []
    for i in range(16):
        name, color = [("red", (220, 30, 30)), ("blue", (30, 30, 220))][i % 2]
        _image(folder / "images" / f"{i}.png", color)
        user = {"role": "user", "content": "<image>What color is it?"}
        rows.append({"messages": [user, {"role": "assistant", "content": name}], "images": [f"images/{i}.png"]})
    (folder / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return folder


@pytest.fixture(scope="module")
def checkpoint(work) -> str:
    flags = "--max_steps 30 --learning_rate 5e-3 --per_device_train_batch_size 4 --split_dataset_ratio 0"
    flags += " --save_steps 30 --add_version false --lora_dropout 0 --logging_steps 5 --report_to none"
    proc = run_swift(
        "sft",
        "--model",
        "tiny-qwen2-vl",
        "--dataset",
        "train.jsonl",
        "--output_dir",
        "out",
        *flags.split(),
        cwd=work,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "loaded model type 'qwen2_vl' (template 'qwen2_vl'" in proc.stderr
    logs = [json.loads(line) for line in (work / "out" / "logging.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in logs if "loss" in r]
    assert losses[-1] < losses[0] - 1.0, losses  # it learns the colors
    return str(work / "out" / "checkpoint-30")


def test_swift_infer_answers_a_validation_file_of_image_rows(work, checkpoint):
    proc = run_swift(
        "infer",
        "--adapters",
        checkpoint,
        "--val_dataset",
        "train.jsonl",
        "--result_path",
        "answers.jsonl",
        "--max_new_tokens",
        "4",
        "--metric",
        "acc",
        cwd=work,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    answers = [json.loads(line) for line in (work / "answers.jsonl").read_text().splitlines()]
    assert len(answers) == 16 and answers[0]["images"][0].endswith("images/0.png")
    assert sum(a["response"] == a["labels"] for a in answers) >= 12, [a["response"] for a in answers]


def test_swift_sample_samples_image_prompts_and_skips_one_it_cannot_read(work, checkpoint):
    rows = (work / "train.jsonl").read_text().splitlines()[:4]
    broken = json.loads(rows[0])
    broken["images"] = ["images/missing.png"]
    (work / "sample.jsonl").write_text("\n".join([*rows, json.dumps(broken)]) + "\n")
    proc = run_swift(
        "sample",
        "--adapters",
        checkpoint,
        "--dataset",
        "sample.jsonl",
        "--num_return_sequences",
        "2",
        "--max_new_tokens",
        "4",
        "--output_dir",
        "sampled",
        "--temperature",
        "1.0",
        cwd=work,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "skipped 1 of 5 prompts" in proc.stderr and "image file not found" in proc.stderr
    [result] = list((work / "sampled").glob("*.jsonl"))
    records = [json.loads(line) for line in result.read_text().splitlines()]
    assert len(records) == 8 and all(r["images"][0].endswith(".png") for r in records)


def test_the_terminal_chat_asks_for_the_image_of_a_tag(work, checkpoint):
    proc = subprocess.run(
        [*swift_command(), "infer", "--adapters", checkpoint, "--max_new_tokens", "4", "--stream", "false"],
        input=f"<image>What color is it?\n{work / 'images' / '1.png'}\nexit\n",
        capture_output=True,
        text=True,
        cwd=work,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Input image path or URL 1 <<< " in proc.stdout
    assert "blue" in proc.stdout.split("<<< ")[-2], proc.stdout


@pytest.fixture(scope="module")
def server(checkpoint, tmp_path_factory, deploy_server):
    with deploy_server(
        ["--adapters", checkpoint, "--max_images", "2"], tmp_path_factory.mktemp("vision-deploy") / "deploy.log"
    ) as url:
        yield url


def _data_url(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _parts(url: str) -> list[dict]:
    return [{"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": "What color is it?"}]


def test_the_openai_client_sends_an_image_part_and_reads_the_answer(server, work):
    import openai

    with openai.OpenAI(base_url=server + "/v1", api_key="-", max_retries=0, timeout=60) as client:
        answers = {}
        for i in (0, 1):
            reply = client.chat.completions.create(
                model="checkpoint-30",
                messages=[{"role": "user", "content": _parts(_data_url(work / "images" / f"{i}.png"))}],
                max_tokens=4,
                temperature=0,
            )
            answers[i] = reply.choices[0].message.content
    assert answers == {0: "red", 1: "blue"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_parts("https://example.com/cat.png"), "data: URLs only"),
        (_parts("/etc/passwd"), "data: URLs only"),
        ([{"type": "video_url", "video_url": {"url": "x"}}], "videos as data: URLs only"),
        ([{"type": "input_file", "input_file": {"data": "x"}}], "content parts are"),
        ([{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}], "not a readable image"),
    ],
)
def test_the_server_refuses_what_it_must_not_fetch_or_cannot_read_with_400(server, content, message):
    body = {"messages": [{"role": "user", "content": content}], "max_tokens": 2}
    response = httpx.post(server + "/v1/chat/completions", json=body, timeout=60)
    assert response.status_code == 400, response.text
    assert message in response.text, response.text


def test_more_images_than_max_images_is_a_400(server, work):
    url = _data_url(work / "images" / "0.png")
    content = [{"type": "image_url", "image_url": {"url": url}}] * 3
    response = httpx.post(server + "/v1/chat/completions", json={"messages": [{"role": "user", "content": content}]})
    assert response.status_code == 400 and "--max_images" in response.text, response.text
