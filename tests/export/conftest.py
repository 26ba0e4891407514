"""Fixtures of the `swift export` / `swift merge-lora` tests: a LoRA training run on the tiny model."""

from __future__ import annotations

import base64
import http.server
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from swift_sdk.cli import run_swift as sdk_run_swift

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")

PROMPT_IDS = [[1, 5, 9, 17, 33, 65, 129, 257, 3, 7]]


def make_lora(base_dir: str, out: Path, *, seed: int, targets: list[str]) -> Path:
    """A peft LoRA with non-zero B (so merging changes the logits), saved to ``out``."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(base_dir)
    config = LoraConfig(r=4, lora_alpha=16, target_modules=targets, init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(out)
    return out


@pytest.fixture
def lora_factory():
    """``lora_factory(base_dir, out, seed=…, targets=[…])``: save a non-zero peft LoRA."""
    return make_lora


@pytest.fixture(scope="session")
def lora_run_template(tiny_model_path, tmp_path_factory) -> Path:
    """``output/v0-run/args.json`` (written by save_args as `swift sft` does) + ``checkpoint-4``."""
    from swift.arguments import TrainArguments, save_args

    run = tmp_path_factory.mktemp("export-run") / "output" / "v0-run"
    make_lora(str(tiny_model_path), run / "checkpoint-4", seed=3, targets=["q_proj", "v_proj", "down_proj"])
    save_args(
        TrainArguments(
            model=str(tiny_model_path),
            template="qwen3",
            train_type="lora",
            dataset=["data.jsonl"],
            output_dir=str(run.parent),
        ),
        str(run),
    )
    return run


@pytest.fixture
def checkpoint(lora_run_template, tmp_path) -> Path:
    """A private copy of the run (merging writes next to the checkpoint); returns its checkpoint."""
    run = tmp_path / "output" / "v0-run"
    shutil.copytree(lora_run_template, run)
    return run / "checkpoint-4"


@pytest.fixture
def run_swift(swift_kernel, capsys):
    """``run_swift("export", ...)`` → (exit code, stdout, stderr), in this process."""
    from swift.cli.main import main

    def run(*argv: str):
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def swift_cli():
    """``swift_cli(*argv, cwd=…, env=…)``: run the installed ``swift`` executable as a subprocess."""
    return run_swift_executable


def run_swift_executable(*argv: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``swift`` executable (a real, separate process)."""
    return sdk_run_swift(*argv, cwd=cwd, env=env)


@pytest.fixture
def logits():
    """Helpers: ``logits.of(model)`` and ``logits.reference(base_dir, *adapters)``."""
    return SimpleNamespace(of=logits_of, reference=base_plus_adapter_logits)


def logits_of(model):
    """Logits of the fixed prompt, in eval mode and without gradients."""
    import torch

    model.eval()
    with torch.no_grad():
        return model(torch.tensor(PROMPT_IDS)).logits


def base_plus_adapter_logits(base_dir: str, *adapters: Path):
    """Logits of the base model with the adapters applied by plain peft (merged in order)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base_dir)
    for i, adapter in enumerate(adapters):
        model = PeftModel.from_pretrained(model, adapter)
        if i < len(adapters) - 1:
            model = model.merge_and_unload()
    return logits_of(model)


@pytest.fixture(autouse=True)
def _no_inherited_plugin_files(monkeypatch):
    # `--external_plugins` exports its files in SWIFT_EXTERNAL_PLUGINS for subprocesses; without
    # this, one test's plugin file would be loaded again by the next test's kernel.
    monkeypatch.delenv("SWIFT_EXTERNAL_PLUGINS", raising=False)


class FakeHub(http.server.ThreadingHTTPServer):
    """The Hugging Face Hub's repository-create and commit endpoints, over real HTTP.

    ``huggingface_hub`` talks to it through ``HF_ENDPOINT`` exactly as to the real hub (every
    file small enough to be sent inline); it keeps what a user would see on the hub page: the
    repositories with their visibility, and each commit's message, author token and files.
    """

    def __init__(self):
        self.repos: dict[str, str] = {}  # repo id → visibility
        self.commits: list[dict] = []  # {"repo", "summary", "token", "files": {path: bytes}}
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _FakeHubHandler)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _FakeHubHandler(http.server.BaseHTTPRequestHandler):
    server: FakeHub

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _reply(self, status: int, payload: dict | None = None) -> None:
        data = json.dumps(payload or {}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.server.requests.append(f"GET {self.path}")
        self._reply(404, {"error": "not found"})

    def do_POST(self):
        hub, path = self.server, self.path
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        hub.requests.append(f"POST {path}")
        token = (self.headers.get("authorization") or "").removeprefix("Bearer ")
        if not token:
            return self._reply(401, {"error": "Invalid credentials in Authorization header"})
        if path == "/api/validate-yaml":  # a README.md's model-card metadata, checked before a commit
            return self._reply(200, {"errors": [], "warnings": []})
        if path == "/api/repos/create":
            request = json.loads(body)
            repo = f"{request['organization']}/{request['name']}"
            hub.repos[repo] = request.get("visibility") or ("private" if request.get("private") else "public")
            return self._reply(200, {"url": f"{hub.endpoint}/{repo}", "name": repo})
        if "/preupload/" in path:
            files = json.loads(body)["files"]
            modes = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]
            return self._reply(200, {"files": modes, "commitOid": "0" * 40})
        if "/commit/" in path:
            repo = path.removeprefix("/api/models/").split("/commit/")[0]
            lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
            header = next(line["value"] for line in lines if line["key"] == "header")
            files = {
                line["value"]["path"]: base64.b64decode(line["value"]["content"])
                for line in lines
                if line["key"] == "file"
            }
            hub.commits.append({"repo": repo, "summary": header["summary"], "token": token, "files": files})
            oid = f"{len(hub.commits):040x}"
            return self._reply(200, {"commitUrl": f"{hub.endpoint}/{repo}/commit/{oid}", "commitOid": oid})
        return self._reply(404, {"error": "not found"})


@pytest.fixture
def fake_hub():
    """A :class:`FakeHub` serving on a free local port for the test's duration."""
    hub = FakeHub()
    thread = threading.Thread(target=hub.serve_forever, daemon=True)
    thread.start()
    yield hub
    hub.shutdown()
    hub.server_close()
