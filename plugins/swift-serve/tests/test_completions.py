"""``POST /v1/completions``: raw prompts, no chat template."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def test_completion_continues_the_raw_prompt(client, tokenizer):
    prompt = "Once upon a time the model"
    resp = client.completions.create(model="tiny-qwen3", prompt=prompt, max_tokens=6, temperature=0)
    assert resp.object == "text_completion"
    assert resp.model == "tiny-qwen3"
    [choice] = resp.choices
    assert choice.text
    assert choice.finish_reason in ("stop", "length")
    # exactly the prompt's own tokens: no chat markup was added around it
    assert resp.usage.prompt_tokens == len(tokenizer.encode(prompt, add_special_tokens=False))


def test_streamed_completion_equals_the_plain_one(client):
    prompt = "The answer is"
    full = client.completions.create(model="tiny-qwen3", prompt=prompt, max_tokens=10, temperature=0)
    chunks = list(
        client.completions.create(
            model="tiny-qwen3",
            prompt=prompt,
            max_tokens=10,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    *body, last = chunks
    assert "".join(c.choices[0].text for c in body) == full.choices[0].text
    assert body[-1].choices[0].finish_reason == full.choices[0].finish_reason
    assert last.choices == [] and last.usage.completion_tokens == full.usage.completion_tokens


def test_several_prompts_get_choices_in_order(client):
    prompts = ["one two", "hello there", "def f():"]
    resp = client.completions.create(model="tiny-qwen3", prompt=prompts, max_tokens=4, temperature=0)
    assert [c.index for c in resp.choices] == [0, 1, 2]
    for prompt, choice in zip(prompts, resp.choices):
        alone = client.completions.create(model="tiny-qwen3", prompt=prompt, max_tokens=4, temperature=0)
        assert choice.text == alone.choices[0].text


def test_completion_logprobs_in_the_legacy_shape(client):
    resp = client.completions.create(model="tiny-qwen3", prompt="hello", max_tokens=3, temperature=0, logprobs=2)
    logprobs = resp.choices[0].logprobs
    assert len(logprobs.tokens) == len(logprobs.token_logprobs) == resp.usage.completion_tokens
    assert all(len(alternatives) <= 2 for alternatives in logprobs.top_logprobs)
    assert all(value <= 0 for value in logprobs.token_logprobs)


def test_completion_with_an_adapter(client):
    base = client.completions.create(model="tiny-qwen3", prompt="one two three", max_tokens=8, temperature=0)
    tuned = client.completions.create(model="lora1", prompt="one two three", max_tokens=8, temperature=0)
    assert tuned.model == "lora1"
    assert tuned.choices[0].text != base.choices[0].text


def test_ignore_eos_answers_max_tokens_past_the_end_of_turn(client, tokenizer):
    # vLLM's extension, as its clients send it: extra_body
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    common = {"model": "tiny-qwen3", "prompt": "Hi", "max_tokens": 4, "temperature": 0, "logit_bias": {str(end): 100}}

    stopped = client.completions.create(**common)
    kept_going = client.completions.create(**common, extra_body={"ignore_eos": True})

    assert stopped.choices[0].finish_reason == "stop" and stopped.usage.completion_tokens == 1
    assert kept_going.choices[0].finish_reason == "length" and kept_going.usage.completion_tokens == 4
