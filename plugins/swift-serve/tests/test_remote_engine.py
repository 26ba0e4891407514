"""``--infer_backend openai``: a swift engine that drives an OpenAI-compatible server over HTTP.

The server here is ``swift deploy``'s app over the session's ``pt`` engine, so every answer
the remote engine gives can be compared with the local engine's own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from swift.kernel import SwiftError, UsageError
from swift.protocol import InferRequest, InvalidRequestError, RequestConfig

GREEDY = RequestConfig(max_tokens=12, temperature=0.0)
QUESTIONS = ["Who are you?", "What is two plus three?", "Name a colour."]


def _remote(url: str, **flags):
    from swift_serve.remote import OpenAIEngine

    settings = {"base_url": url, "api_key": None, "model": None, "request_timeout": 60.0, "max_concurrency": 4}
    return OpenAIEngine(SimpleNamespace(**{**settings, **flags}))


def _requests() -> list[InferRequest]:
    return [InferRequest(messages=[{"role": "user", "content": q}]) for q in QUESTIONS]


def _texts(responses) -> list[str]:
    return [r.choices[0].message.content for r in responses]


def test_greedy_answers_equal_the_local_engines(engine, server):
    remote = _remote(server.url)
    assert remote.model_name == engine.model_name and remote.adapter_names == ("lora1",)
    assert _texts(remote.infer(_requests(), GREEDY)) == _texts(engine.infer(_requests(), GREEDY))
    # an adapter is the server's model of that name
    with_lora = remote.infer(_requests(), GREEDY, adapter="lora1")
    assert _texts(with_lora) == _texts(engine.infer(_requests(), GREEDY, adapter="lora1"))
    assert with_lora[0].usage.completion_tokens > 0
    remote.close()


def test_a_stream_carries_the_same_answer(engine, server):
    remote = _remote(server.url)
    [chunks] = remote.infer(_requests()[:1], RequestConfig(max_tokens=12, temperature=0.0, stream=True))
    chunks = list(chunks)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == _texts(engine.infer(_requests()[:1], GREEDY))[0]
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]


def test_infer_async_and_a_raw_prompt(engine, server):
    import asyncio

    remote = _remote(server.url)
    answer = asyncio.run(remote.infer_async(_requests()[0], GREEDY))
    assert answer.choices[0].message.content == _texts(engine.infer(_requests()[:1], GREEDY))[0]
    prompt = InferRequest.completion("The capital of France is")
    [completion] = remote.infer([prompt], GREEDY)
    assert completion.choices[0].message.content == engine.infer([prompt], GREEDY)[0].choices[0].message.content


def test_the_key_comes_from_the_flag_or_the_environment(secured_server, api_key, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("SWIFT_API_KEY", raising=False)
    with pytest.raises(UsageError, match="--api_key"):
        _remote(secured_server.url)
    assert _remote(secured_server.url, api_key=api_key).model_name
    monkeypatch.setenv("OPENAI_API_KEY", api_key)
    remote = _remote(secured_server.url)
    assert remote.infer(_requests()[:1], GREEDY)[0].choices[0].message.content


def test_what_the_server_refuses_or_the_api_cannot_carry_is_an_invalid_request(server):
    remote = _remote(server.url)
    with pytest.raises(InvalidRequestError, match="refused the request \\(400\\)"):
        remote.infer(_requests()[:1], RequestConfig(max_tokens=10**6))
    with pytest.raises(InvalidRequestError, match="beam search"):
        remote.infer(_requests()[:1], RequestConfig(max_tokens=4, num_beams=2))
    with pytest.raises(InvalidRequestError, match="not served"):
        remote.infer(_requests()[:1], GREEDY, adapter="nope")
    with pytest.raises(UsageError, match="is not served"):
        _remote(server.url, model="other-model")


def test_an_unreachable_server_is_a_clear_error():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SwiftError, match="cannot reach the server at http://127.0.0.1"):
        _remote(f"http://127.0.0.1:{port}")


def _swift(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "swift.cli.main", *argv], capture_output=True, text=True, timeout=300)


def test_swift_infer_runs_a_dataset_on_the_server(engine, server, tmp_path):
    data = tmp_path / "questions.jsonl"
    data.write_text("".join(json.dumps({"messages": [{"role": "user", "content": q}]}) + "\n" for q in QUESTIONS))
    out = tmp_path / "answers.jsonl"
    run = _swift(
        "infer",
        "--infer_backend",
        "openai",
        "--base_url",
        server.url + "/v1",
        "--val_dataset",
        str(data),
        "--result_path",
        str(out),
        "--max_new_tokens",
        "12",
        "--temperature",
        "0",
    )
    assert run.returncode == 0, run.stderr
    answers = [json.loads(line)["response"] for line in out.read_text().splitlines()]
    assert answers == _texts(engine.infer(_requests(), GREEDY))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["infer", "--infer_backend", "openai"], "--infer_backend openai needs --base_url"),
        (["infer", "--infer_backend", "sglang"], "python -m sglang.launch_server"),
        (["infer", "--infer_backend", "lmdeploy"], "lmdeploy serve api_server MODEL --server-port 23333"),
        (["sample", "--sampler_engine", "client"], "--sampler_engine client needs --base_url"),
        # the reference's LMDeploy settings belong to an LMDeploy server: refused with its flags
        (["infer", "--tp", "2", "--quant_policy", "8"], "lmdeploy serve api_server MODEL --tp 2 --quant-policy 8"),
        (["deploy", "--vision_batch_size", "4"], "--vision-max-batch-size 4"),
    ],
)
def test_usage_errors_exit_2_before_any_work(argv, message):
    started = time.monotonic()
    run = _swift(*argv)
    assert run.returncode == 2 and message in run.stderr
    assert time.monotonic() - started < 30  # no model, no server: only argument checks


def test_swift_sample_with_the_client_engine(server, tmp_path):
    """ms-swift's ``--sampler_engine client`` is this engine: n answers per prompt, one line each."""
    data = tmp_path / "prompts.jsonl"
    data.write_text("".join(json.dumps({"messages": [{"role": "user", "content": q}]}) + "\n" for q in QUESTIONS[:2]))
    run = _swift(
        "sample",
        "--sampler_engine",
        "client",
        "--base_url",
        server.url,
        "--dataset",
        str(data),
        "--num_return_sequences",
        "3",
        "--max_new_tokens",
        "8",
        "--output_dir",
        str(tmp_path / "out"),
        "--output_file",
        "samples.jsonl",
    )
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    assert len(lines) == 6 and all(line["messages"][-1]["role"] == "assistant" for line in lines)
