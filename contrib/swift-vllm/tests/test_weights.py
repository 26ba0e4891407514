"""Weight updates while serving: full weights, LoRA adapters, and a GRPO run that pushes them.

After each update the vLLM engine must answer exactly as the transformers engine does
with the same weights. The tests share the session engine, so each starts from the
checkpoint's weights (``reset_weights``).
"""

from __future__ import annotations

import json
import urllib.request

import pytest
import torch
from safetensors.torch import load_file

from swift.protocol import InferRequest, InvalidRequestError, RequestConfig

GREEDY = RequestConfig(max_tokens=10, temperature=0)


def texts(responses) -> list[str]:
    return [r.choices[0].message.content for r in responses]


@pytest.fixture
def pristine(engine):
    engine.reset_weights()
    yield engine
    engine.reset_weights()


@pytest.fixture
def reference(model_dir):
    """A fresh transformers engine on the checkpoint (weights loaded the same way)."""
    from swift.arguments import InferArguments
    from swift.pipelines.infer_engine import create_engine

    engine = create_engine(InferArguments(model=model_dir, max_batch_size=8))
    yield engine
    engine.close()


def test_pushed_full_weights_answer_like_transformers_with_the_same_weights(pristine, reference, chats):
    torch.manual_seed(0)
    # q and v without k: vLLM fuses them into one qkv tensor, which must stay whole
    pushed = {
        "model.layers.0.self_attn.q_proj.weight": torch.randn(128, 128) * 0.2,
        "model.layers.0.self_attn.v_proj.weight": torch.randn(128, 128) * 0.2,
        "model.layers.1.mlp.down_proj.weight": torch.randn(128, 256) * 0.2,
        "lm_head.weight": torch.randn(1024, 128) * 0.2,
    }
    before = texts(pristine.infer(chats, GREEDY))

    assert pristine.load_weights(pushed.items()) == 4
    reference.load_weights(pushed.items())
    after = texts(pristine.infer(chats, GREEDY))

    assert after != before
    assert after == texts(reference.infer(chats, GREEDY))


def test_a_bad_update_is_refused_and_changes_nothing(pristine, chats):
    before = texts(pristine.infer(chats, GREEDY))

    with pytest.raises(InvalidRequestError, match="no weight named model.layers.9"):
        pristine.load_weights([("model.layers.9.mlp.up_proj.weight", torch.zeros(256, 128))])
    with pytest.raises(InvalidRequestError, match=r"shape \(3, 3\), the model's is \(1024, 128\)"):
        pristine.load_weights([("lm_head.weight", torch.zeros(3, 3))])

    assert texts(pristine.infer(chats, GREEDY)) == before


def test_a_lora_adapter_replaces_the_previous_one_instead_of_stacking(pristine, reference, lora_dirs, chats):
    first, second = lora_dirs

    pristine.load_adapter(first)
    reference.load_adapter(first)
    with_first = texts(pristine.infer(chats, GREEDY))
    assert with_first == texts(reference.infer(chats, GREEDY))

    tensors = load_file(f"{second}/adapter_model.safetensors")
    with open(f"{second}/adapter_config.json", encoding="utf-8") as fh:
        config = json.load(fh)
    assert pristine.load_adapter(tensors, config) == len(tensors)
    reference.load_adapter(second)

    assert texts(pristine.infer(chats, GREEDY)) == texts(reference.infer(chats, GREEDY))
    assert texts(pristine.infer(chats, GREEDY)) != with_first


def test_a_grpo_run_against_a_rollout_server_changes_the_next_generations(pristine, tmp_path, model_dir, make_args):
    from swift_serve.rollout_app import create_rollout_app
    from swift_serve.server import BackgroundServer

    from swift.arguments import RLHFArguments
    from swift.llm import rlhf_main

    prompts = tmp_path / "prompts.jsonl"
    rows = [{"messages": [{"role": "user", "content": f"what is {a} plus {a}?"}], "solution": str(2 * a)}
            for a in range(1, 9)]  # fmt: skip
    prompts.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    plugin = tmp_path / "short.py"
    plugin.write_text(
        "from swift.kernel import RewardRecord, hookimpl\n"
        "def short(completions, **kw):\n"
        "    return [-len(c) / 10 for c in completions]\n"
        "@hookimpl\n"
        "def swift_register_rewards():\n"
        "    yield RewardRecord(name='short', load=f'{__name__}:short')\n"
    )
    question = [InferRequest(messages=rows[0]["messages"])]
    before = texts(pristine.infer(question, GREEDY))
    args = make_args(model_dir, "rollout")

    with BackgroundServer(create_rollout_app(pristine, args)) as server:
        port = int(server.url.rsplit(":", 1)[1])
        result = rlhf_main(
            RLHFArguments(
                model=model_dir, rlhf_type="grpo", dataset=[str(prompts)], external_plugins=[str(plugin)],
                reward_funcs=["short"], output_dir=str(tmp_path / "out"), max_steps=2, save_steps=2,
                logging_steps=1, per_device_train_batch_size=2, num_generations=2,
                max_completion_length=8, learning_rate=0.05, lora_dropout=0.0,
                split_dataset_ratio=0.0, report_to=["none"], use_vllm=True, vllm_mode="server",
                vllm_server_host="127.0.0.1", vllm_server_port=port,
            )
        )  # fmt: skip
        with urllib.request.urlopen(server.url + "/health") as answer:
            health = json.load(answer)

    assert result["output_dir"]
    # a LoRA run pushes its adapter after step 1, before the second round of sampling
    assert health["weight_formats"] == ["full", "lora"] and health["version"] >= 1
    assert texts(pristine.infer(question, GREEDY)) != before
