"""The pt engine takes new weights while it serves: full tensors in place, LoRA adapters replaced."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest
import torch

from swift.protocol import AdapterLoader, AdapterUnloader, InvalidRequestError, RequestConfig, WeightLoader

GREEDY = RequestConfig(max_tokens=8, temperature=0)


def _answers(engine, ask, prompts, adapter=None) -> list[str]:
    responses = engine.infer([ask(p) for p in prompts], GREEDY, adapter=adapter)
    return [r.choices[0].message.content for r in responses]


@pytest.fixture(scope="module")
def second_lora_dir(tiny_model_dir, tmp_path_factory) -> str:
    """Another random adapter (other seed, other target modules) for the tiny model."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(2)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    config = LoraConfig(r=4, lora_alpha=32, target_modules=["k_proj", "down_proj"], init_lora_weights=False)
    path = tmp_path_factory.mktemp("lora2") / "checkpoint-2"
    get_peft_model(model, config).save_pretrained(path)
    return str(path)


def test_the_pt_engine_declares_both_weight_formats(engine):
    from swift.protocol import weight_formats

    assert (
        isinstance(engine, WeightLoader) and isinstance(engine, AdapterLoader) and isinstance(engine, AdapterUnloader)
    )
    assert weight_formats(engine) == ["full", "lora"]


def test_full_weights_change_the_answers_and_the_originals_restore_them(make_engine, tiny_model_dir, ask, prompts):
    engine = make_engine(tiny_model_dir, max_batch_size=8)
    before = _answers(engine, ask, prompts)
    original = engine.model.lm_head.weight.detach().clone()

    updated = engine.load_weights([("lm_head.weight", original * -1.0)])
    flipped = _answers(engine, ask, prompts)
    engine.load_weights([("lm_head.weight", original)])

    assert updated == 1
    assert flipped != before
    assert _answers(engine, ask, prompts) == before


def test_full_weights_are_cast_to_the_serving_dtype(make_engine, tiny_model_dir):
    engine = make_engine(tiny_model_dir)
    weight = engine.model.model.norm.weight

    engine.load_weights([("model.norm.weight", torch.full(weight.shape, 0.5, dtype=torch.bfloat16))])

    assert weight.dtype == torch.float32 and torch.all(weight == 0.5)


def test_an_unknown_name_or_shape_changes_nothing(make_engine, tiny_model_dir, ask, prompts):
    engine = make_engine(tiny_model_dir)
    before = _answers(engine, ask, prompts)
    head = engine.model.lm_head.weight

    with pytest.raises(InvalidRequestError, match="no weight named model.nope.weight"):
        engine.load_weights([("lm_head.weight", head * 0), ("model.nope.weight", head)])
    with pytest.raises(InvalidRequestError, match="shape"):
        engine.load_weights([("lm_head.weight", head * 0), ("model.norm.weight", head)])

    assert _answers(engine, ask, prompts) == before


def test_a_loaded_adapter_answers_like_one_given_at_start(make_engine, tiny_model_dir, lora_dir, ask, prompts):
    engine = make_engine(tiny_model_dir)
    base = _answers(engine, ask, prompts)
    started_with = _answers(make_engine(tiny_model_dir, adapters=[lora_dir]), ask, prompts)

    count = engine.load_adapter(lora_dir)

    assert count == 2 * 3 * 2  # lora_A and lora_B of q/v/o_proj in two layers
    assert started_with != base
    assert _answers(engine, ask, prompts) == started_with


def test_a_second_adapter_replaces_the_first_instead_of_stacking(
    make_engine, tiny_model_dir, lora_dir, second_lora_dir, ask, prompts
):
    engine = make_engine(tiny_model_dir)
    only_second = _answers(make_engine(tiny_model_dir, adapters=[second_lora_dir]), ask, prompts)

    engine.load_adapter(lora_dir)
    engine.load_adapter(second_lora_dir)

    assert _answers(engine, ask, prompts) == only_second
    assert len(engine.model.peft_config) == 1


def test_an_adapter_given_as_tensors_equals_its_folder(make_engine, tiny_model_dir, lora_dir, ask, prompts):
    from safetensors.torch import load_file

    from_folder = make_engine(tiny_model_dir)
    from_folder.load_adapter(lora_dir)
    from_tensors = make_engine(tiny_model_dir)
    tensors = load_file(str(Path(lora_dir) / "adapter_model.safetensors"))
    config = json.loads((Path(lora_dir) / "adapter_config.json").read_text())

    from_tensors.load_adapter(tensors, config)

    assert _answers(from_tensors, ask, prompts) == _answers(from_folder, ask, prompts)
    with pytest.raises(InvalidRequestError, match="adapter_config.json"):
        from_tensors.load_adapter(tensors)


def test_a_named_adapter_is_served_by_name_and_the_base_stays(make_engine, tiny_model_dir, lora_dir, ask, prompts):
    engine = make_engine(tiny_model_dir)
    base = _answers(engine, ask, prompts)

    engine.load_adapter(lora_dir, name="policy")

    assert engine.adapter_names == ("policy",)
    assert _answers(engine, ask, prompts) == base
    assert _answers(engine, ask, prompts, adapter="policy") != base


def test_an_unloaded_adapter_is_no_longer_served_and_the_others_stay(
    make_engine, tiny_model_dir, lora_dir, ask, prompts
):
    engine = make_engine(tiny_model_dir)
    engine.load_adapter(lora_dir, name="policy-1")
    trained = _answers(engine, ask, prompts, adapter="policy-1")
    engine.load_adapter(lora_dir, name="policy-2")

    engine.unload_adapter("policy-1")

    assert engine.adapter_names == ("policy-2",)
    assert _answers(engine, ask, prompts, adapter="policy-2") == trained
    assert not any(".policy-1." in n or "_swift_default_0" in n for n, _ in engine.model.named_parameters())
    with pytest.raises(InvalidRequestError, match="unknown adapter 'policy-1'"):
        engine.infer([ask(prompts[0])], GREEDY, adapter="policy-1")
    with pytest.raises(InvalidRequestError, match="unknown adapter"):
        engine.unload_adapter("policy-1")


def test_full_weights_reach_the_base_layers_under_an_adapter(make_engine, tiny_model_dir, lora_dir, ask, prompts):
    engine = make_engine(tiny_model_dir, adapters=[lora_dir])
    with_adapter = _answers(engine, ask, prompts)
    name = "model.layers.0.self_attn.q_proj.weight"
    q_proj = engine.model.get_base_model().model.layers[0].self_attn.q_proj.base_layer.weight

    engine.load_weights([(name, q_proj.detach() * 3.0)])

    assert _answers(engine, ask, prompts) != with_adapter


def test_generation_never_mixes_old_and_new_weights(make_engine, tiny_model_dir, ask, prompts):
    engine = make_engine(tiny_model_dir, max_batch_size=2)
    config = RequestConfig(max_tokens=24, temperature=0)
    requests = [ask(p) for p in prompts] * 4
    old = [r.choices[0].message.content for r in engine.infer(requests[:5], config)]
    original = engine.model.lm_head.weight.detach().clone()
    engine.load_weights([("lm_head.weight", original.flip(0))])
    new = [r.choices[0].message.content for r in engine.infer(requests[:5], config)]
    engine.load_weights([("lm_head.weight", original)])

    async def main():
        tasks = [asyncio.ensure_future(engine.infer_async(r, config)) for r in requests]
        await asyncio.sleep(0)
        swap = threading.Thread(target=engine.load_weights, args=([("lm_head.weight", original.flip(0))],))
        swap.start()
        results = await asyncio.gather(*tasks)
        swap.join()
        return results

    results = asyncio.run(main())

    for i, response in enumerate(results):
        assert response.choices[0].message.content in (old[i % 5], new[i % 5])


def test_token_ids_are_the_sampled_ids_and_decode_to_the_text(engine, ask, prompts):
    request = ask(prompts[1])
    prompt_ids = engine.encode(request)

    [response] = engine.infer([request], RequestConfig(max_tokens=12, temperature=0, return_token_ids=True))
    expected = engine.model.generate(input_ids=torch.tensor([prompt_ids]), max_new_tokens=12, do_sample=False)[
        0, len(prompt_ids) :
    ].tolist()

    choice = response.choices[0]
    assert response.prompt_token_ids == prompt_ids
    assert choice.token_ids == expected[: len(choice.token_ids)]
    assert len(choice.token_ids) == response.usage.completion_tokens
    text = engine.tokenizer.decode(choice.token_ids, skip_special_tokens=True)
    assert text == choice.message.content


def test_each_sampled_choice_has_its_own_token_ids(engine, ask):
    config = RequestConfig(n=4, max_tokens=10, temperature=1.5, seed=3, return_token_ids=True)

    [response] = engine.infer([ask("hello")], config)

    ids = [c.token_ids for c in response.choices]
    assert len({tuple(i) for i in ids}) > 1
    for choice in response.choices:
        decoded = engine.tokenizer.decode(choice.token_ids, skip_special_tokens=True)
        assert decoded == choice.message.content
    assert sum(len(i) for i in ids) == response.usage.completion_tokens


def test_token_ids_are_absent_unless_asked(engine, ask):
    [response] = engine.infer([ask("hello")], GREEDY)

    body = response.to_dict()
    assert "prompt_token_ids" not in body and "token_ids" not in body["choices"][0]
    assert response.choices[0].token_ids is None
