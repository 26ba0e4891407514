"""Fixtures of the swift-trl tests: a tiny model, preference/prompt data, run helpers and a
rollout server speaking ``docs/rollout.md`` (the stand-in for ``swift rollout``)."""

from __future__ import annotations

import copy
import json
import os
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_var, "1")


@pytest.fixture(autouse=True)
def _fresh_kernel(swift_kernel):
    """Every test gets its own strict kernel: plugin files of one test do not leak into the next."""
    return swift_kernel


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> str:
    from swift_sdk.tiny import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("tiny") / "tiny-qwen3"))


def sums(n: int, seed: int = 0) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    return [(rng.randint(1, 9), rng.randint(1, 9)) for _ in range(n)]


def write_jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def chat(a: int, b: int, answer: str | None = None) -> list[dict]:
    messages = [{"role": "user", "content": f"what is {a} plus {b}?"}]
    if answer is not None:
        messages.append({"role": "assistant", "content": answer})
    return messages


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory) -> Path:
    """``pairs.jsonl`` (messages + rejected_response), ``kto.jsonl`` (messages + label),
    ``prompts.jsonl`` (GRPO prompts + solution)."""
    folder = tmp_path_factory.mktemp("rlhf-data")
    pairs, kto, prompts = [], [], []
    for i, (a, b) in enumerate(sums(16)):
        good = chat(a, b, f"{a} plus {b} equals {a + b}.")
        pairs.append({"messages": good, "rejected_response": "I do not know."})
        answer = good if i % 2 == 0 else chat(a, b, "I do not know.")
        kto.append({"messages": answer, "label": i % 2 == 0})
        prompts.append({"messages": chat(a, b), "solution": str(a + b)})
    write_jsonl(folder / "pairs.jsonl", pairs)
    write_jsonl(folder / "kto.jsonl", kto)
    write_jsonl(folder / "prompts.jsonl", prompts)
    return folder


@pytest.fixture
def rlhf_args(tiny_model_dir, data_dir, tmp_path):
    """``rlhf_args(rlhf_type, **overrides)`` → ``RLHFArguments`` of a short LoRA run."""
    from swift.arguments import RLHFArguments

    def make(rlhf_type: str, **overrides):
        data = {"kto": "kto.jsonl", "grpo": "prompts.jsonl"}.get(rlhf_type, "pairs.jsonl")
        values = dict(
            model=tiny_model_dir,
            rlhf_type=rlhf_type,
            dataset=[str(data_dir / data)],
            output_dir=str(tmp_path / "output"),
            max_steps=2,
            save_steps=2,
            logging_steps=1,
            per_device_train_batch_size=2,
            learning_rate=5e-3,
            lora_dropout=0.0,
            split_dataset_ratio=0.0,
            report_to=["none"],
        )
        if rlhf_type == "grpo":
            values.update(num_generations=2, max_completion_length=8)
        values.update(overrides)
        return RLHFArguments(**values)

    return make


@pytest.fixture
def rlhf():
    """``rlhf(args)`` → the run summary, through the same code as ``swift rlhf``."""
    from swift.llm import rlhf_main

    return rlhf_main


@pytest.fixture
def read_logs():
    """``read_logs(path)`` → every JSON line of a ``.jsonl`` file."""

    def read(path) -> list[dict]:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    return read


class RolloutServer:
    """A minimal server of the rollout protocol over a tiny model (pt engine).

    It records every call so tests can check what the trainer sent, and applies
    pushed weights (full or LoRA, merged onto the original base) to its model.
    """

    def __init__(self, model_dir: str, weight_formats=("full", "lora")):
        from swift_transformers.engine.pt import PtEngine

        from swift.arguments import InferArguments
        from swift.services import load_model
        from swift.template import get_template

        args = InferArguments(model=model_dir)
        model, tokenizer, record = load_model(args)
        self.base_state = copy.deepcopy(model.state_dict())
        self.engine = PtEngine(
            args,
            model=model,
            tokenizer=tokenizer,
            template=get_template(record.template, tokenizer),
            max_batch_size=16,
        )
        self.model = self.engine.model
        self.weight_formats = list(weight_formats)
        self.calls: list[tuple[str, dict]] = []
        self.version = 0
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self._http.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()
        self.engine.close()

    def apply(self, kind: str, data: bytes, headers) -> int:
        import torch
        from safetensors.torch import load

        tensors = load(data)
        if kind == "lora":
            from peft import LoraConfig, get_peft_model, set_peft_model_state_dict

            config = json.loads(headers["X-Swift-Lora-Config"])
            config = {k: v for k, v in config.items() if k in LoraConfig.__dataclass_fields__}
            self.model.load_state_dict(self.base_state)
            peft_model = get_peft_model(self.model, LoraConfig(**config))
            set_peft_model_state_dict(peft_model, tensors)
            merged = peft_model.merge_and_unload()
            state = {k: v.clone() for k, v in merged.state_dict().items()}
            self.model.load_state_dict(state)
            return len(tensors)
        unknown = set(tensors) - set(self.model.state_dict())
        if unknown:
            raise KeyError(f"unknown weights: {sorted(unknown)[:3]}")
        with torch.no_grad():
            self.model.load_state_dict(tensors, strict=False)
        return len(tensors)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _reply(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                server.calls.append(("GET " + self.path, {}))
                self._reply(
                    200,
                    {
                        "status": "ok",
                        "model": server.engine.model_name,
                        "weight_formats": server.weight_formats,
                    },
                )

            def do_POST(self):
                from swift.protocol import InferRequest, RequestConfig

                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    if self.path == "/infer":
                        payload = json.loads(body)
                        server.calls.append(("POST /infer", payload))
                        requests = [InferRequest.from_dict(r) for r in payload["requests"]]
                        config = RequestConfig.from_dict(payload["request_config"])
                        responses = server.engine.infer(requests, config)
                        self._reply(200, {"responses": [r.to_dict() for r in responses]})
                    elif self.path == "/update_weights":
                        kind = self.headers.get("X-Swift-Weights", "full")
                        chunk = self.headers.get("X-Swift-Weights-Chunk")
                        server.calls.append(("POST /update_weights", {"kind": kind, "chunk": chunk}))
                        updated = server.apply(kind, body, self.headers)
                        server.version += 1
                        self._reply(200, {"version": server.version, "updated": updated})
                    else:
                        self._reply(404, {"error": f"no route {self.path}"})
                except Exception as exc:  # the client must see the reason
                    self._reply(400, {"error": f"{type(exc).__name__}: {exc}"})

        return Handler


@pytest.fixture
def rollout_server(tiny_model_dir):
    """A running :class:`RolloutServer` over the tiny model."""
    server = RolloutServer(tiny_model_dir)
    yield server
    server.close()


@pytest.fixture
def short_reward(tmp_path):
    """A plugin file registering the reward ``short`` (shorter completions score higher); returns its path."""
    plugin = tmp_path / "short.py"
    plugin.write_text(
        "from swift.kernel import RewardRecord, hookimpl\n"
        "def short(completions, **kw):\n"
        "    return [-len(c) / 10 for c in completions]\n"
        "@hookimpl\n"
        "def swift_register_rewards():\n"
        "    yield RewardRecord(name='short', load=f'{__name__}:short')\n"
    )
    return str(plugin)
