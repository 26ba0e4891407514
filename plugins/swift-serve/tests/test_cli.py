"""``swift deploy`` as a user runs it: a real subprocess on a free port."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

STARTUP_S = 300  # a generous bound for a busy machine; never an assertion about speed


def _swift() -> list[str]:
    script = shutil.which("swift", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "swift.cli.main"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "SWIFT_PLUGINS_STRICT": "1",
    }


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def deployed(tiny_model_dir, tmp_path_factory):
    """``swift deploy`` in a subprocess, with a stats line every second and no access log."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("deploy") / "deploy.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                *_swift(),
                "deploy",
                "--model",
                tiny_model_dir,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--infer_backend",
                "pt",
                "--served_model_name",
                "cli-model",
                "--max_length",
                "64",
                "--truncation_strategy",
                "delete",
                "--log_interval",
                "1",
                "--verbose",
                "false",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_env(),
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_S
    while True:
        if proc.poll() is not None:
            pytest.fail(f"swift deploy exited with {proc.returncode}:\n{_read(log_path)}")
        try:
            if httpx.get(url + "/health", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"swift deploy did not start:\n{_read(log_path)}")
        time.sleep(0.5)
    yield url, proc, log_path, port
    if proc.poll() is None:
        proc.kill()
        proc.wait(30)


def test_deploy_serves_the_model_list(deployed):
    url, *_ = deployed
    with openai.OpenAI(base_url=url + "/v1", api_key="-", max_retries=0, timeout=120) as client:
        assert [m.id for m in client.models.list().data] == ["cli-model"]
        resp = client.chat.completions.create(
            model="cli-model",
            max_tokens=4,
            temperature=0,
            messages=[{"role": "user", "content": "hi"}],
        )
        assert resp.model == "cli-model" and resp.choices[0].message.content is not None


def test_prompt_longer_than_max_length_is_400(deployed):
    url, *_ = deployed
    resp = httpx.post(
        url + "/v1/chat/completions",
        timeout=120,
        json={
            "model": "cli-model",
            "max_tokens": 2,
            "messages": [{"role": "user", "content": "one two three " * 40}],
        },
    )
    assert resp.status_code == 400
    assert "max_length=64" in resp.json()["error"]["message"]


def test_stats_are_logged_and_access_log_is_off(deployed):
    url, _, log_path, _ = deployed
    httpx.post(
        url + "/v1/completions",
        timeout=120,
        json={"model": "cli-model", "prompt": "hi", "max_tokens": 2},
    )
    deadline = time.monotonic() + 60
    while "requests in" not in _read(log_path) and time.monotonic() < deadline:
        time.sleep(0.5)
    log = _read(log_path)
    assert "swift deploy: serving cli-model at http://127.0.0.1" in log
    assert "generated tokens" in log and "/s)" in log
    assert "POST /v1/completions" not in log  # --verbose false: no access log


def test_a_taken_port_fails_before_loading_the_model(deployed, tiny_model_dir):
    *_, port = deployed
    result = subprocess.run(
        [
            *_swift(),
            "deploy",
            "--model",
            tiny_model_dir,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert result.returncode == 2
    assert f"127.0.0.1:{port} is in use" in result.stderr
    assert "loaded model" not in result.stderr


def test_ctrl_c_stops_the_server_cleanly(deployed):
    _, proc, log_path, _ = deployed
    proc.send_signal(signal.SIGINT)
    assert proc.wait(120) == 130  # the shell's code for "ended by Ctrl-C", after a graceful shutdown
    log = _read(log_path)
    assert "Application shutdown complete" in log
    assert "Traceback" not in log


def test_plugins_list_shows_swift_serve_providing_deploy():
    result = subprocess.run(
        [*_swift(), "plugins", "list", "--json"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    [serve] = [p for p in json.loads(result.stdout)["plugins"] if p["distribution"] == "swift-serve"]
    assert serve["status"] == "active"
    assert serve["provides"]["commands"] == ["deploy", "rollout"]
