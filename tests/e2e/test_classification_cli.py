"""A classifier from the command line: ``swift sft --num_labels 2``, then ``swift deploy`` over HTTP.

What a user does: train on a ``label`` column, serve the checkpoint, and read the predicted
label (``message.content``) and the per-label probabilities (``probs``) from any client.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import httpx
import pytest

from swift_sdk.cli import run_swift

WORDS = {1: ("great", "wonderful", "lovely", "excellent"), 0: ("awful", "terrible", "horrible", "sad")}


@pytest.fixture(scope="module")
def classifier(tiny_model_path, tmp_path_factory) -> str:
    """The checkpoint of a LoRA classification run made with ``swift sft``."""
    folder = tmp_path_factory.mktemp("cls-cli")
    rng = random.Random(1)
    with (folder / "reviews.jsonl").open("w", encoding="utf-8") as fh:
        for i in range(96):
            user = {"role": "user", "content": f"the film was {rng.choice(WORDS[i % 2])}"}
            fh.write(json.dumps({"messages": [user], "label": i % 2}) + "\n")
    # a run folder without a version suffix, so the checkpoint path is known
    flags = "--num_labels 2 --max_steps 30 --learning_rate 5e-3 --per_device_train_batch_size 8"
    flags += " --split_dataset_ratio 0 --save_steps 30 --add_version false --lora_dropout 0"
    proc = run_swift(
        "sft",
        "--model",
        str(tiny_model_path),
        "--dataset",
        "reviews.jsonl",
        "--output_dir",
        "out",
        *flags.split(),
        cwd=folder,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "classification head: 2 labels" in proc.stderr
    return str(folder / "out" / "checkpoint-30")


@pytest.fixture(scope="module")
def deployed(classifier, tmp_path_factory, deploy_server):
    with deploy_server(["--adapters", classifier], tmp_path_factory.mktemp("cls-deploy") / "deploy.log") as url:
        yield url


def _ask(url: str, text: str, **extra) -> httpx.Response:
    body = {"model": "checkpoint-30", "messages": [{"role": "user", "content": f"the film was {text}"}], **extra}
    return httpx.post(url + "/v1/chat/completions", json=body, timeout=60)


def test_the_served_classifier_answers_labels_and_probabilities(deployed):
    answers = {}
    for word in ("lovely", "excellent", "horrible", "awful"):
        response = _ask(deployed, word)
        assert response.status_code == 200, response.text
        choice = response.json()["choices"][0]
        assert math.isclose(sum(choice["probs"]), 1.0, abs_tol=1e-5)
        assert choice["finish_reason"] == "stop"
        answers[word] = choice["message"]["content"]
    assert answers == {"lovely": "1", "excellent": "1", "horrible": "0", "awful": "0"}


def test_an_openai_client_reads_the_label_and_a_stream_carries_the_probabilities(deployed):
    import openai

    with openai.OpenAI(base_url=deployed + "/v1", api_key="-", max_retries=0, timeout=60) as client:
        reply = client.chat.completions.create(
            model="checkpoint-30", messages=[{"role": "user", "content": "the film was wonderful"}]
        )
        assert reply.choices[0].message.content == "1"
    with httpx.stream(
        "POST",
        deployed + "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "the film was sad"}], "stream": True},
        timeout=60,
    ) as stream:
        events = [json.loads(line[6:]) for line in stream.iter_lines() if line.startswith("data: {")]
    assert events[0]["choices"][0]["delta"]["content"] == "0"
    assert math.isclose(sum(events[0]["choices"][0]["probs"]), 1.0, abs_tol=1e-5)
    assert events[-1]["choices"][0]["finish_reason"] == "stop"


def test_a_classifier_refuses_several_answers_per_request_with_400(deployed):
    response = _ask(deployed, "lovely", n=2)
    assert response.status_code == 400, response.text
    assert "one answer per request" in response.text


def test_the_classifier_folder_keeps_what_infer_needs(classifier):
    args = json.loads((Path(classifier) / "args.json").read_text())
    assert (args["task_type"], args["num_labels"]) == ("seq_cls", 2)
