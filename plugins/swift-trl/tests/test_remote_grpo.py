"""GRPO sampling on an OpenAI-compatible server (``--base_url``): a real ``swift deploy``, the policy loaded as a LoRA.

After each update the trainer saves the adapter under the run folder and the server loads it through
vLLM's runtime LoRA API (``/v1/load_lora_adapter``, on with ``SWIFT_ALLOW_RUNTIME_LORA_UPDATING=1``).
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request

import pytest

from swift_sdk.cli import swift_server

PROMPT = [{"role": "user", "content": "what is 2 plus 3?"}]


def _post(url: str, body: dict) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _models(url: str) -> list[str]:
    with urllib.request.urlopen(url + "/v1/models", timeout=30) as response:
        return [m["id"] for m in json.load(response)["data"]]


def _greedy(url: str, model: str) -> str:
    status, text = _post(
        url + "/v1/chat/completions", {"model": model, "messages": PROMPT, "max_tokens": 8, "temperature": 0}
    )
    assert status == 200, text
    return json.loads(text)["choices"][0]["message"]["content"]


@pytest.fixture
def server(tiny_model_dir, tmp_path):
    """``swift deploy`` of the tiny model on loopback, taking LoRA adapters at run time."""
    env = {"SWIFT_ALLOW_RUNTIME_LORA_UPDATING": "1", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    argv = ("--model", tiny_model_dir, "--host", "127.0.0.1")
    with swift_server("deploy", *argv, log_path=tmp_path / "deploy.log", env=env) as url:
        yield url


def test_grpo_samples_on_the_server_and_loads_each_updated_policy_into_it(
    server, short_reward, tiny_model_dir, data_dir, tmp_path, read_logs
):
    from swift_transformers.engine.pt import PtEngine

    from swift.arguments import InferArguments
    from swift.cli.main import main
    from swift.protocol import InferRequest, RequestConfig

    base = _models(server)[0]
    # --base_url is the openai engine's flag (swift-serve's argument group): given on the command line
    argv = ["rlhf", "--rlhf_type", "grpo", "--model", tiny_model_dir, "--dataset", str(data_dir / "prompts.jsonl")]
    argv += ["--external_plugins", short_reward, "--reward_funcs", "short", "--base_url", server + "/v1"]
    argv += ["--num_generations", "2", "--max_completion_length", "8", "--per_device_train_batch_size", "2"]
    argv += ["--max_steps", "3", "--save_steps", "3", "--logging_steps", "1", "--learning_rate", "5e-3"]
    argv += ["--lora_dropout", "0", "--split_dataset_ratio", "0", "--report_to", "none"]
    assert main([*argv, "--output_dir", str(tmp_path / "output")]) == 0
    [run] = (tmp_path / "output").glob("v0-*")
    logs = [r for r in read_logs(run / "logging.jsonl") if "loss" in r]
    assert len(logs) == 3 and all(math.isfinite(r["loss"]) for r in logs)
    # synced after steps 1 and 2: the server serves the latest policy only, from the run folder
    assert _models(server) == [base, "policy-2"]
    adapter = run / "rollout_adapters" / "policy-2"
    assert sorted(p.name for p in (run / "rollout_adapters").iterdir()) == ["policy-2"]
    from safetensors.torch import load_file

    trained = load_file(adapter / "adapter_model.safetensors")
    assert any(t.abs().sum() > 0 for name, t in trained.items() if "lora_B" in name)  # two steps moved it
    # the server's greedy answer with it is the pt engine's with the same adapter, and the base's the base's
    local = PtEngine(InferArguments(model=tiny_model_dir, adapters=[str(adapter)]))
    [answer] = local.infer([InferRequest(messages=PROMPT)], RequestConfig(max_tokens=8, temperature=0))
    assert _greedy(server, "policy-2") == answer.choices[0].message.content
    plain = PtEngine(InferArguments(model=tiny_model_dir))
    [answer] = plain.infer([InferRequest(messages=PROMPT)], RequestConfig(max_tokens=8, temperature=0))
    assert _greedy(server, base) == answer.choices[0].message.content


def test_the_runtime_lora_api_refuses_what_it_cannot_serve(server, tmp_path):
    status, text = _post(server + "/v1/load_lora_adapter", {"lora_name": "x", "lora_path": str(tmp_path)})
    assert status == 400 and "adapter_config.json" in text
    status, text = _post(server + "/v1/load_lora_adapter", {"lora_name": "", "lora_path": str(tmp_path)})
    assert status == 400 and "lora_name" in text
    status, text = _post(server + "/v1/unload_lora_adapter", {"lora_name": "never-loaded"})
    assert status == 404 and "not loaded" in text
    base = _models(server)[0]
    status, text = _post(server + "/v1/unload_lora_adapter", {"lora_name": base})  # the model itself stays
    assert status == 404
    assert _models(server) == [base]


def test_without_the_opt_in_the_runtime_lora_api_does_not_exist(tiny_model_dir, tmp_path):
    argv = ("--model", tiny_model_dir, "--host", "127.0.0.1")
    with swift_server("deploy", *argv, log_path=tmp_path / "deploy.log", env={"OMP_NUM_THREADS": "1"}) as url:
        status, _ = _post(url + "/v1/load_lora_adapter", {"lora_name": "x", "lora_path": str(tmp_path)})
    assert status == 404


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"rlhf_type": "dpo"}, "samples nothing"),
        ({"use_vllm": True, "vllm_mode": "server"}, "both choose where GRPO samples"),
        ({"train_type": "full"}, "trains no plain LoRA"),
    ],
)
def test_base_url_is_refused_where_it_cannot_work(overrides, message, tiny_model_dir, data_dir, tmp_path, capsys):
    from swift.cli.main import main

    argv = ["rlhf", "--model", tiny_model_dir, "--dataset", str(data_dir / "prompts.jsonl")]
    argv += ["--rlhf_type", "grpo", "--reward_funcs", "format", "--base_url", "http://127.0.0.1:9/v1"]
    for key, value in overrides.items():
        argv += [f"--{key}", str(value).lower() if isinstance(value, bool) else str(value)]
    try:
        rc = main([*argv, "--output_dir", str(tmp_path / "out")])
    except SystemExit as exc:
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2 and message in err, err
    assert not (tmp_path / "out").exists()
