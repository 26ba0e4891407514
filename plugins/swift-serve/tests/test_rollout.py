"""``swift rollout``'s server in process: the protocol of ``docs/rollout.md`` over real HTTP."""

from __future__ import annotations

import contextlib
import os

import httpx
import pytest

from swift.protocol import ChatCompletionResponse

QUESTIONS = ("hello", "What is the weather today in the city?", "one two three")


def rollout_args(model_dir: str, **flags):
    """``RolloutArguments`` of a quiet pt server on 127.0.0.1."""
    from swift.arguments import RolloutArguments

    flags.setdefault("max_batch_size", 8)
    flags.setdefault("host", "127.0.0.1")  # what the arguments say; the test socket is 127.0.0.1
    return RolloutArguments(
        model=model_dir, infer_backend="pt", port=0, verbose=False, log_interval=0, **flags,
    )  # fmt: skip


@contextlib.contextmanager
def running_rollout(model_dir: str, **flags):
    """A rollout server over its own engine (pushes change its weights): an httpx client."""
    from swift_serve.rollout_app import create_rollout_app
    from swift_serve.server import BackgroundServer

    from swift.pipelines.infer_engine import create_engine

    args = rollout_args(model_dir, **flags)
    engine = create_engine(args)
    try:
        with BackgroundServer(create_rollout_app(engine, args)) as server:
            with httpx.Client(base_url=server.url, timeout=120) as http:
                yield http
    finally:
        engine.close()


def infer(http, questions=QUESTIONS, **config) -> list[ChatCompletionResponse]:
    """``POST /infer`` as the trainer sends it; the responses, in order."""
    config = {"max_tokens": 8, "temperature": 0, **config}
    body = {
        "requests": [{"messages": [{"role": "user", "content": q}]} for q in questions],
        "request_config": config,
    }
    answer = http.post("/infer", json=body)
    assert answer.status_code == 200, answer.text
    return [ChatCompletionResponse.from_dict(r) for r in answer.json()["responses"]]


def greedy(http) -> list[str]:
    """The greedy answers to :data:`QUESTIONS`."""
    return [r.choices[0].message.content for r in infer(http)]


def push(http, tensors: dict, kind: str = "full", **headers) -> httpx.Response:
    """``POST /update_weights`` with safetensors bytes."""
    from safetensors.torch import save

    headers = {"Content-Type": "application/octet-stream", "X-Swift-Weights": kind, **headers}
    return http.post("/update_weights", content=save(tensors), headers=headers)


@pytest.fixture(scope="module")
def rollout(tiny_model_dir):
    """One server for the tests that leave its weights as they are."""
    with running_rollout(tiny_model_dir) as http:
        yield http


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def test_health_names_the_model_the_weight_formats_and_the_version(rollout, tiny_model_dir):
    body = rollout.get("/health").json()

    assert body == {
        "status": "ok",
        "model": "tiny-qwen3",
        "weight_formats": ["full", "lora"],
        "version": 0,
    }


def test_infer_answers_every_request_in_order_with_n_choices(rollout):
    greedy_alone = [infer(rollout, [q])[0].choices[0].message.content for q in QUESTIONS]

    sampled = infer(rollout, n=3, temperature=1.0, seed=1)
    together = greedy(rollout)

    assert together == greedy_alone
    assert [len(r.choices) for r in sampled] == [3, 3, 3]
    assert all(c.finish_reason in ("stop", "length") for r in sampled for c in r.choices)
    assert all(r.usage.completion_tokens > 0 for r in sampled)


def test_token_ids_come_back_when_asked_and_decode_to_the_answers(rollout, tokenizer):
    plain = infer(rollout)
    with_ids = infer(rollout, return_token_ids=True, n=2, temperature=1.0, seed=4)

    assert plain[0].prompt_token_ids is None and plain[0].choices[0].token_ids is None
    for response in with_ids:
        assert response.prompt_token_ids and response.usage.prompt_tokens == len(response.prompt_token_ids)
        for choice in response.choices:
            text = tokenizer.decode(choice.token_ids, skip_special_tokens=True)
            assert text == choice.message.content


def test_the_openai_routes_of_deploy_are_served_too(rollout, tokenizer):
    import openai

    client = openai.OpenAI(base_url=str(rollout.base_url) + "/v1", api_key="-", max_retries=0)
    [model] = client.models.list().data
    reply = client.chat.completions.create(
        model=model.id,
        messages=[{"role": "user", "content": QUESTIONS[0]}],
        max_tokens=8,
        temperature=0,
        extra_body={"return_token_ids": True},
    )

    assert reply.choices[0].message.content == greedy(rollout)[0]
    ids = reply.choices[0].model_extra["token_ids"]
    assert tokenizer.decode(ids, skip_special_tokens=True) == reply.choices[0].message.content


def test_bad_updates_are_400_with_the_reason_and_change_nothing(rollout, tokenizer):
    import torch

    before = greedy(rollout)
    head = torch.zeros(len(tokenizer), 64)  # lm_head's shape: a valid tensor in a bad update
    cases = [
        (
            push(rollout, {"lm_head.weight": head, "model.nope": head.clone()}),
            "no weight named model.nope",
        ),
        (push(rollout, {"lm_head.weight": torch.zeros(3, 3)}), "shape"),
        (push(rollout, {"lm_head.weight": head}, kind="qlora"), "takes full, lora"),
        (push(rollout, {"x": head}, kind="lora"), "X-Swift-Lora-Config"),
        (
            rollout.post("/update_weights", content=b"not safetensors", headers={"X-Swift-Weights": "full"}),
            "not a safetensors file",
        ),
        (
            push(rollout, {"lm_head.weight": head}, **{"X-Swift-Weights-Chunk": "2/3"}),
            "expected part 1/3",
        ),
        (rollout.post("/infer", json={"requests": [{"messages": []}]}), "requests[0]"),
        (rollout.post("/infer", json={"requests": [], "request_config": {"n": 0}}), "request_config.n"),
    ]

    for answer, reason in cases:
        assert answer.status_code == 400, answer.text
        assert reason in answer.json()["error"]
    assert greedy(rollout) == before
    assert rollout.get("/health").json()["version"] == 0


# ---------------------------------------------------------------- pushes (each on its own server)
def _weights(model_dir: str) -> dict:
    from safetensors.torch import load_file

    return load_file(f"{model_dir}/model.safetensors")


def test_full_weights_change_greedy_answers_and_the_originals_restore_them(tiny_model_dir):
    original = _weights(tiny_model_dir)["lm_head.weight"]
    with running_rollout(tiny_model_dir) as http:
        before = greedy(http)

        answer = push(http, {"lm_head.weight": -original})
        changed = greedy(http)
        restored = push(http, {"lm_head.weight": original})

        assert answer.json() == {"version": 1, "updated": 1}
        assert changed != before
        assert restored.json()["version"] == 2
        assert greedy(http) == before


def test_a_chunked_update_applies_like_one_push_and_counts_once(tiny_model_dir):
    weights = _weights(tiny_model_dir)
    names = [n for n in weights if n.startswith("model.layers.") and n.endswith("proj.weight")]
    perturbed = {n: weights[n] * 1.5 for n in names}
    parts = [dict(list(perturbed.items())[i::3]) for i in range(3)]
    with running_rollout(tiny_model_dir) as http:
        before = greedy(http)
        versions = [
            push(http, part, **{"X-Swift-Weights-Chunk": f"{i}/3"}).json()["version"] for i, part in enumerate(parts, 1)
        ]
        chunked = greedy(http)
        push(http, {n: weights[n] for n in names})
        push(http, perturbed)

        assert versions == [0, 0, 1]
        assert chunked != before
        assert greedy(http) == chunked


def test_infer_during_a_chunked_update_waits_for_its_last_part(tiny_model_dir):
    from concurrent.futures import ThreadPoolExecutor

    head = _weights(tiny_model_dir)["lm_head.weight"]
    norm = _weights(tiny_model_dir)["model.norm.weight"]
    with running_rollout(tiny_model_dir) as http, ThreadPoolExecutor(1) as pool:
        push(http, {"lm_head.weight": head.flip(0)}, **{"X-Swift-Weights-Chunk": "1/2"})
        waiting = pool.submit(greedy, http)
        push(http, {"model.norm.weight": norm * 2}, **{"X-Swift-Weights-Chunk": "2/2"})

        assert waiting.result() == greedy(http)


def test_a_lora_push_answers_like_the_adapter_and_a_second_push_replaces_it(tiny_model_dir, lora_dir, tmp_path):
    import json
    from pathlib import Path

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(5)
    second = tmp_path / "second"
    get_peft_model(
        AutoModelForCausalLM.from_pretrained(tiny_model_dir),
        LoraConfig(r=4, target_modules=["k_proj", "up_proj"], init_lora_weights=False),
    ).save_pretrained(second)

    def push_lora(http, folder) -> httpx.Response:
        config = json.loads((Path(folder) / "adapter_config.json").read_text())
        return http.post(
            "/update_weights",
            content=(Path(folder) / "adapter_model.safetensors").read_bytes(),
            headers={"X-Swift-Weights": "lora", "X-Swift-Lora-Config": json.dumps(config)},
        )

    with running_rollout(tiny_model_dir, adapters=[lora_dir]) as http:
        with_first = greedy(http)
    with running_rollout(tiny_model_dir, adapters=[str(second)]) as http:
        with_second = greedy(http)
    with running_rollout(tiny_model_dir) as http:
        base = greedy(http)
        first = push_lora(http, lora_dir)
        pushed_first = greedy(http)
        push_lora(http, second)

        assert first.json() == {"version": 1, "updated": 2 * 3 * 2}  # A and B of q/v/o, 2 layers
        assert pushed_first == with_first != base
        assert greedy(http) == with_second


def test_the_json_path_form_loads_weight_folders_and_adapter_folders(tiny_model_dir, lora_dir, tmp_path):
    from safetensors.torch import save_file

    head = _weights(tiny_model_dir)["lm_head.weight"]
    save_file({"lm_head.weight": -head}, str(tmp_path / "part-1.safetensors"))
    with running_rollout(tiny_model_dir, adapters=[lora_dir]) as http:
        with_adapter = greedy(http)
    with running_rollout(tiny_model_dir, weight_dirs=[str(tmp_path), os.path.dirname(lora_dir)]) as http:
        before = greedy(http)
        full = http.post("/update_weights", json={"path": str(tmp_path), "kind": "full"})
        flipped = greedy(http)
        push(http, {"lm_head.weight": head})
        lora = http.post("/update_weights", json={"path": lora_dir, "kind": "lora"})

        assert full.json() == {"version": 1, "updated": 1} and flipped != before
        assert lora.json()["version"] == 3
        assert greedy(http) == with_adapter


# -- who may push weights: a key, or a server only this machine reaches ------------------
KEY = "rollout-secret"


def _tensors(model_dir: str) -> dict:
    weights = _weights(model_dir)["lm_head.weight"]
    return {"lm_head.weight": weights * 0}


def test_every_route_but_health_needs_the_key_and_pushes_work_with_it(tiny_model_dir):
    body = {"requests": [{"messages": [{"role": "user", "content": "hi"}]}], "request_config": {"max_tokens": 2}}
    right = {"Authorization": f"Bearer {KEY}"}
    with running_rollout(tiny_model_dir, api_key=KEY) as http:
        assert http.get("/health").status_code == 200
        assert http.post("/infer", json=body).status_code == 401
        assert push(http, _tensors(tiny_model_dir)).status_code == 401
        assert push(http, _tensors(tiny_model_dir), Authorization="Bearer wrong").status_code == 401
        assert http.post("/infer", json=body, headers=right).status_code == 200
        answer = push(http, _tensors(tiny_model_dir), **right)
        assert answer.status_code == 200 and answer.json()["updated"] == 1


def test_without_a_key_a_server_bound_beyond_loopback_refuses_pushes(tiny_model_dir):
    # the test's socket is 127.0.0.1; the arguments say what the operator bound
    with running_rollout(tiny_model_dir, host="0.0.0.0") as http:
        answer = push(http, _tensors(tiny_model_dir))
        assert answer.status_code == 403
        assert "--api_key" in answer.json()["error"] and "127.0.0.1" in answer.json()["error"]
        json_form = http.post("/update_weights", json={"path": "/etc", "kind": "full"})
        assert json_form.status_code == 403 and "/etc" not in json_form.text


def test_the_key_can_come_from_the_environment(tiny_model_dir, monkeypatch):
    monkeypatch.setenv("SWIFT_API_KEY", KEY)
    with running_rollout(tiny_model_dir, host="0.0.0.0") as http:
        assert push(http, _tensors(tiny_model_dir)).status_code == 401
        assert push(http, _tensors(tiny_model_dir), Authorization=f"Bearer {KEY}").status_code == 200


def test_the_grpo_rollout_client_sends_its_key(tiny_model_dir, monkeypatch):
    from swift_trl.grpo.client import RolloutClient, RolloutServerError, server_api_key

    with running_rollout(tiny_model_dir, api_key=KEY) as http:
        url = str(http.base_url)
        keyless = RolloutClient(url, timeout=60)
        with pytest.raises(RolloutServerError, match="401"):
            keyless.push_safetensors(_safetensors(tiny_model_dir), "full")

        monkeypatch.setenv("SWIFT_API_KEY", KEY)
        args = rollout_args(tiny_model_dir)
        client = RolloutClient(url, timeout=60, api_key=server_api_key(args))
        assert client.push_safetensors(_safetensors(tiny_model_dir), "full")["updated"] == 1


def _safetensors(model_dir: str) -> bytes:
    from safetensors.torch import save

    return save(_tensors(model_dir))


def test_path_pushes_stay_inside_weight_dirs_and_never_tell_what_exists(tiny_model_dir, tmp_path):
    allowed = tmp_path / "allowed"
    (allowed / "empty").mkdir(parents=True)
    secret = tmp_path / "secret"
    secret.mkdir()
    (allowed / "link-out").symlink_to(secret)
    with running_rollout(tiny_model_dir) as http:
        off = http.post("/update_weights", json={"path": str(allowed)})
        assert off.status_code == 403 and "--weight_dirs" in off.json()["error"]
    with running_rollout(tiny_model_dir, weight_dirs=[str(allowed)]) as http:
        outside = [str(secret), "/no/such/dir", str(allowed / ".." / "secret"), str(allowed / "link-out"), "/etc"]
        answers = [http.post("/update_weights", json={"path": p, "kind": "full"}) for p in outside]
        assert {a.status_code for a in answers} == {403}
        assert len({a.text for a in answers}) == 1  # the same words for a folder that exists and one that does not
        assert all(str(tmp_path) not in a.text and "/etc" not in a.text for a in answers)
        empty = http.post("/update_weights", json={"path": str(allowed / "empty")})
        assert empty.status_code == 400 and "no *.safetensors" in empty.json()["error"]
        missing = http.post("/update_weights", json={"path": str(allowed / "nope")})
        assert missing.status_code == 400 and "not a folder" in missing.json()["error"]
        assert http.get("/health").json()["version"] == 0


def test_a_weights_body_over_the_limit_is_413_and_changes_nothing(tiny_model_dir):
    with running_rollout(tiny_model_dir, max_weights_bytes="1KB") as http:
        before = greedy(http)
        answer = push(http, _tensors(tiny_model_dir))
        assert answer.status_code == 413 and "--max_weights_bytes" in answer.json()["error"]
        assert greedy(http) == before and http.get("/health").json()["version"] == 0
