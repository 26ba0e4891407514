"""GRPO against a rollout server: the client side of ``docs/rollout.md`` over real HTTP."""

from __future__ import annotations

import math
import socket
from pathlib import Path

import pytest
import torch
from swift_trl.grpo.client import RolloutClient, RolloutServerError
from swift_trl.grpo.weights import changed_weights, push_adapter, push_full

from swift.protocol import InferRequest, RequestConfig


def _lora_policy(model_dir: str, seed: int = 0):
    """The tiny model with a LoRA adapter whose B matrices are not zero (a trained one)."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(model_dir),
        LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"]),
    )
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(std=0.05)
    return model


def _merged_state(policy) -> dict[str, torch.Tensor]:
    import copy

    return copy.deepcopy(policy).merge_and_unload().state_dict()


def test_the_client_samples_n_answers_per_request(rollout_server):
    client = RolloutClient(rollout_server.url, timeout=10)

    [response] = client.infer(
        [InferRequest(messages=[{"role": "user", "content": "hi"}])],
        RequestConfig(n=3, max_tokens=4, temperature=1.0),
    )

    assert client.info["status"] == "ok" and client.supports("lora")
    assert len(response.choices) == 3
    assert all(c.finish_reason in ("stop", "length") for c in response.choices)


def test_a_rollout_continued_from_token_ids_is_answered_from_exactly_those_ids(rollout_server):
    # multi-turn GRPO sends the next turn as the sampled token ids (TokenChains)
    client = RolloutClient(rollout_server.url, timeout=10)
    config = RequestConfig(max_tokens=4, temperature=0, return_token_ids=True)
    [first] = client.infer([InferRequest(messages=[{"role": "user", "content": "hi"}])], config)
    ids = list(first.prompt_token_ids) + list(first.choices[0].token_ids)

    [continued] = client.infer([InferRequest(messages=[], prompt_ids=ids)], config)

    assert continued.prompt_token_ids == ids


def test_full_weights_pushed_in_chunks_equal_the_merged_policy(rollout_server, tiny_model_dir):
    policy = _lora_policy(tiny_model_dir)
    client = RolloutClient(rollout_server.url, timeout=10)

    answer = push_full(client, policy, batches=3)

    pushes = [c for name, c in rollout_server.calls if name == "POST /update_weights"]
    assert [p["chunk"] for p in pushes] == ["1/3", "2/3", "3/3"]
    assert answer["version"] == 3
    expected = _merged_state(policy)
    served = rollout_server.model.state_dict()
    sent = changed_weights(policy)
    assert len(sent) == 2 * 3  # q_proj, v_proj, down_proj in two layers
    for name in sent:
        assert torch.allclose(served[name], expected[name], atol=1e-6), name
    assert not torch.equal(served[next(iter(sent))], rollout_server.base_state[next(iter(sent))])
    # the policy goes on training its unmerged adapter
    assert any("lora_B" in n for n, _ in policy.named_parameters())
    assert torch.equal(
        policy.get_base_model().model.layers[0].self_attn.q_proj.base_layer.weight,
        rollout_server.base_state["model.layers.0.self_attn.q_proj.weight"],
    )


def test_a_lora_adapter_pushed_as_the_tuner_saves_it_gives_the_same_weights(rollout_server, tiny_model_dir):
    from swift.kernel import registry

    policy = _lora_policy(tiny_model_dir, seed=1)
    client = RolloutClient(rollout_server.url, timeout=10)

    push_adapter(client, policy, registry("tuners").load("lora"))

    assert [c["kind"] for n, c in rollout_server.calls if n == "POST /update_weights"] == ["lora"]
    expected = _merged_state(policy)
    served = rollout_server.model.state_dict()
    for name, value in expected.items():
        assert torch.allclose(served[name], value, atol=1e-5), name


def test_a_server_that_cannot_be_reached_is_named_in_the_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(RolloutServerError, match="swift rollout"):
        RolloutClient(f"http://127.0.0.1:{port}", timeout=0.5)


def test_grpo_samples_on_the_server_and_pushes_weights_after_each_step(
    rlhf_args, rlhf, rollout_server, short_reward, read_logs
):
    rollout_server.weight_formats = ["full"]  # a server without LoRA support: merged weights

    result = rlhf(
        rlhf_args(
            "grpo",
            external_plugins=[short_reward],
            reward_funcs=["short"],
            max_steps=3,
            save_steps=3,
            use_vllm=True,
            vllm_mode="server",
            vllm_server_host="127.0.0.1",
            vllm_server_port=rollout_server.port,
            move_model_batches=2,
        )
    )

    names = [name for name, _ in rollout_server.calls]
    assert names.count("POST /infer") == 3
    infer = next(c for n, c in rollout_server.calls if n == "POST /infer")
    assert infer["request_config"]["n"] == 2 and infer["request_config"]["max_tokens"] == 8
    assert infer["request_config"]["return_token_ids"] is True
    pushes = [c for n, c in rollout_server.calls if n == "POST /update_weights"]
    # after steps 1 and 2, before rounds 2 and 3; two chunks each
    assert [p["chunk"] for p in pushes] == ["1/2", "2/2", "1/2", "2/2"]
    assert all(p["kind"] == "full" for p in pushes)
    logs = [r for r in read_logs(Path(result["output_dir"]) / "logging.jsonl") if "loss" in r]
    assert len(logs) == 3 and all(math.isfinite(r["loss"]) for r in logs)


def test_a_vision_prompts_media_travel_as_data_urls_the_server_decodes(tmp_path):
    import base64
    import io

    from PIL import Image
    from swift_trl.grpo.client import _request_body

    from swift.kernel import UsageError

    image = Image.new("RGB", (8, 6), (200, 10, 10))
    image.save(tmp_path / "a.png")
    request = InferRequest(
        messages=[{"role": "user", "content": "<image><image><image>which?"}],
        images=[str(tmp_path / "a.png"), image, "https://example.com/b.png"],
    )

    urls = _request_body(request)["images"]

    assert urls[0] == "data:image/png;base64," + base64.b64encode((tmp_path / "a.png").read_bytes()).decode()
    decoded = Image.open(io.BytesIO(base64.b64decode(urls[1].split(",", 1)[1])))
    assert urls[1].startswith("data:image/png;base64,") and decoded.size == (8, 6)
    assert urls[2] == "https://example.com/b.png"  # the server fetches it only with --allow_remote_media
    missing = InferRequest(messages=[{"role": "user", "content": "<image>?"}], images=[str(tmp_path / "gone.png")])
    with pytest.raises(UsageError, match="gone.png' of a rollout prompt cannot be read"):
        _request_body(missing)
