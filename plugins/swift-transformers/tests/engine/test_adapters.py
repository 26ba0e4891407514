"""LoRA adapters: unnamed ones are always on, named ones are chosen per request."""

from __future__ import annotations

import asyncio

import pytest

from swift.kernel import UsageError
from swift.protocol import InvalidRequestError, RequestConfig

GREEDY = RequestConfig(max_tokens=10, temperature=0)


def _text(response) -> str:
    return response.choices[0].message.content


@pytest.fixture(scope="module")
def base_answers(engine):
    from swift.protocol import InferRequest

    requests = [InferRequest(messages=[{"role": "user", "content": q}]) for q in ("hello", "one two three")]
    return requests, [_text(r) for r in engine.infer(requests, GREEDY)]


def test_named_adapter_is_used_only_when_asked_for(tiny_model_dir, lora_dir, make_engine, base_answers):
    requests, base = base_answers
    engine = make_engine(tiny_model_dir, adapters=[f"mylora={lora_dir}"], max_batch_size=4)
    assert engine.adapter_names == ("mylora",)
    tuned = engine.infer(requests, GREEDY, adapter="mylora")
    assert [_text(r) for r in tuned] != base
    assert tuned[0].model == "mylora"
    # without a name the base model answers, also after the adapter was used
    assert [_text(r) for r in engine.infer(requests, GREEDY)] == base


def test_unnamed_adapter_is_always_on(tiny_model_dir, lora_dir, make_engine, base_answers):
    requests, base = base_answers
    named = make_engine(tiny_model_dir, adapters=[f"mylora={lora_dir}"])
    tuned = [_text(r) for r in named.infer(requests, GREEDY, adapter="mylora")]
    default = make_engine(tiny_model_dir, adapters=[lora_dir])
    assert default.adapter_names == ()
    assert [_text(r) for r in default.infer(requests, GREEDY)] == tuned != base


def test_concurrent_requests_for_different_adapters_get_their_own(tiny_model_dir, lora_dir, make_engine, base_answers):
    requests, base = base_answers
    engine = make_engine(tiny_model_dir, adapters=[f"mylora={lora_dir}"], max_batch_size=8)
    tuned = [_text(r) for r in engine.infer(requests, GREEDY, adapter="mylora")]

    async def main():
        return await asyncio.gather(
            *(engine.infer_async(r, GREEDY, adapter=a) for a in (None, "mylora") for r in requests)
        )

    results = [_text(r) for r in asyncio.run(main())]
    assert results == base + tuned


def test_unknown_adapter_is_a_clear_error(tiny_model_dir, lora_dir, make_engine, engine, ask):
    with_adapter = make_engine(tiny_model_dir, adapters=[f"mylora={lora_dir}"])
    with pytest.raises(InvalidRequestError, match="unknown adapter 'other'; available adapters: mylora"):
        with_adapter.infer([ask("hi")], GREEDY, adapter="other")
    with pytest.raises(InvalidRequestError, match="available adapters: none"):
        asyncio.run(engine.infer_async(ask("hi"), GREEDY, adapter="mylora"))


def test_adapter_folder_must_exist(tiny_model_dir, make_engine, tmp_path):
    with pytest.raises(UsageError, match="not a folder with adapter weights"):
        make_engine(tiny_model_dir, adapters=[f"x={tmp_path / 'missing'}"])
