"""swift-example, installed: its records work through swift's registries, as a user meets them."""

from __future__ import annotations

import json

import pytest

from swift.arguments import InferArguments, TrainArguments
from swift.kernel import UsageError, registry
from swift.protocol import InferRequest
from swift.template import get_template
from swift_sdk.conformance import PluginConformance
from swift_sdk.tiny import build_tiny_model, build_tokenizer


class TestExampleConformance(PluginConformance):
    plugin = "swift_example.hooks"
    distribution = "swift-example"


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory):
    return str(build_tiny_model(tmp_path_factory.mktemp("example") / "tiny-llama", "llama"))


def test_the_example_template_renders_its_markers(swift_kernel):
    template = get_template("example", build_tokenizer())
    text = template.render([{"role": "user", "content": "Hi"}], add_generation_prompt=True)
    assert text == "<|system|>You are Example, a tiny demo model.<|end|>\n<|user|>Hi<|end|>\n<|bot|>"


def test_the_model_type_defaults_to_the_example_template(swift_kernel):
    assert registry("models").get("example-tiny").template == "example"


def test_example_lora_uses_rank_4_alpha_8_unless_told_otherwise(swift_kernel, tiny_llama, tmp_path):
    from transformers import AutoModelForCausalLM

    tuner = registry("tuners").load("example-lora")
    model = tuner.prepare(AutoModelForCausalLM.from_pretrained(tiny_llama), TrainArguments(train_type="example-lora"))
    tuner.save(model, str(tmp_path / "preset"))
    saved = json.loads((tmp_path / "preset" / "adapter_config.json").read_text())
    assert (saved["r"], saved["lora_alpha"]) == (4, 8)
    assert set(saved["target_modules"]) >= {"q_proj", "v_proj", "down_proj"}

    chosen = TrainArguments(train_type="example-lora", lora_rank=16)
    model = tuner.prepare(AutoModelForCausalLM.from_pretrained(tiny_llama), chosen)
    assert model.peft_config["default"].r == 16


def test_the_loader_refuses_a_checkpoint_of_another_architecture(swift_kernel, tiny_model_path):
    from swift.services import load_model

    with pytest.raises(UsageError, match="expects a Llama-architecture checkpoint"):
        load_model(TrainArguments(model=str(tiny_model_path), model_type="example-tiny"))


def test_politeness_scores_each_completion(swift_kernel):
    from swift.rewards import call_reward

    scores = call_reward(
        "example_politeness",
        ["Thank you!", "No.", [{"role": "assistant", "content": "Please wait"}]],
    )
    assert scores == [1.0, 0.0, 1.0]


def test_the_pt_engine_prompts_with_the_example_template(swift_kernel, tiny_llama):
    from swift_transformers.engine.pt import PtEngine

    engine = PtEngine(InferArguments(model=tiny_llama, model_type="example-tiny"))
    try:
        prompt = engine.template.decode(engine.encode(InferRequest(messages=[{"role": "user", "content": "Hi"}])))
    finally:
        engine.close()
    assert prompt.endswith("<|user|>Hi<|end|>\n<|bot|>")
