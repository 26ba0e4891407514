"""Served names: ``/v1/models`` and choosing the model or a LoRA adapter per request."""

from __future__ import annotations

import openai
import pytest


def test_model_list_has_the_model_and_each_adapter(client, lora_dir):
    models = {m.id: m for m in client.models.list().data}
    assert set(models) == {"tiny-qwen3", "lora1"}
    assert all(m.object == "model" and m.owned_by == "swift" for m in models.values())
    assert models["lora1"].model_extra["parent"] == "tiny-qwen3"
    assert models["lora1"].model_extra["root"] == lora_dir


def test_one_model_can_be_retrieved(client):
    assert client.models.retrieve("lora1").id == "lora1"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4")


def test_adapter_by_name_answers_differently_from_the_base(client, ask):
    def answer(model):
        resp = client.chat.completions.create(model=model, messages=ask("hello"), max_tokens=10, temperature=0)
        assert resp.model == model
        return resp.choices[0].message.content

    base, tuned = answer("tiny-qwen3"), answer("lora1")
    assert tuned != base
    # switching back and forth gives each its own answer again
    assert answer("tiny-qwen3") == base
    assert answer("lora1") == tuned


def test_unknown_model_is_404_listing_the_served_names(client, ask):
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-4o", messages=ask("hi"), max_tokens=2)
    assert "gpt-4o" in info.value.message
    assert "tiny-qwen3" in info.value.message and "lora1" in info.value.message
    assert info.value.code == "model_not_found"


def test_served_model_name_and_unnamed_adapter_folders(engine, tiny_model_dir, lora_dir, make_deploy_args):
    from swift_serve.catalog import ModelCatalog

    args = make_deploy_args(
        tiny_model_dir,
        served_model_name="my-model",
        owned_by="acme",
        adapters=[f"lora1={lora_dir}", lora_dir],
    )
    catalog = ModelCatalog(engine, args)
    assert catalog.names == ["my-model", "lora1", "checkpoint-7"]
    # an adapter given without a name is always on: its folder name answers like the model
    assert catalog.resolve("checkpoint-7").adapter is None
    assert catalog.resolve("lora1").adapter == "lora1"
    assert catalog.listing()["data"][0]["owned_by"] == "acme"


def test_a_name_served_twice_is_refused(engine, tiny_model_dir, lora_dir, make_deploy_args):
    from swift_serve.catalog import ModelCatalog

    from swift.kernel import UsageError

    with pytest.raises(UsageError, match="served twice"):
        ModelCatalog(
            engine,
            make_deploy_args(tiny_model_dir, served_model_name="lora1", adapters=[f"lora1={lora_dir}"]),
        )
