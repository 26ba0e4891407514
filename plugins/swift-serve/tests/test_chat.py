"""``POST /v1/chat/completions`` through the official openai client."""

from __future__ import annotations

import openai
import pytest


def test_chat_answers_with_text_usage_and_the_served_name(client, ask):
    resp = client.chat.completions.create(model="tiny-qwen3", messages=ask("hello"), max_tokens=8, temperature=0)
    assert resp.object == "chat.completion"
    assert resp.model == "tiny-qwen3"
    [choice] = resp.choices
    assert choice.message.role == "assistant"
    assert choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert resp.usage.prompt_tokens > 0
    assert 0 < resp.usage.completion_tokens <= 8
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens


def test_max_completion_tokens_bounds_the_answer(client, ask):
    resp = client.chat.completions.create(
        model="tiny-qwen3", messages=ask("one two three"), max_completion_tokens=3, temperature=0
    )
    assert resp.usage.completion_tokens <= 3
    if resp.usage.completion_tokens == 3:
        assert resp.choices[0].finish_reason == "length"


def test_streamed_chunks_concatenate_to_the_greedy_answer(client, ask):
    messages = ask("What is the weather today in the city?")
    full = client.chat.completions.create(model="tiny-qwen3", messages=messages, max_tokens=12, temperature=0)
    stream = client.chat.completions.create(
        model="tiny-qwen3", messages=messages, max_tokens=12, temperature=0, stream=True
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" and c.model == "tiny-qwen3" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == full.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == full.choices[0].finish_reason
    assert all(c.usage is None for c in chunks)


def test_stream_ends_with_usage_when_asked(client, ask):
    chunks = list(
        client.chat.completions.create(
            model="tiny-qwen3",
            messages=ask("hello"),
            max_tokens=5,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    *body, last = chunks
    assert last.choices == []
    assert last.usage.completion_tokens == 5 or body[-1].choices[0].finish_reason == "stop"
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    assert all(c.usage is None for c in body)


def test_n_gives_several_choices(client, ask):
    resp = client.chat.completions.create(
        model="tiny-qwen3", messages=ask("hi"), max_tokens=4, n=3, temperature=0.9, seed=3
    )
    assert sorted(c.index for c in resp.choices) == [0, 1, 2]
    assert all(c.message.content is not None for c in resp.choices)


def test_seed_makes_sampling_repeatable(client, ask):
    def sample():
        return client.chat.completions.create(
            model="tiny-qwen3",
            messages=ask("write code"),
            max_tokens=10,
            temperature=1.0,
            top_p=0.95,
            seed=11,
            extra_body={"top_k": 50, "repetition_penalty": 1.05},
        )

    assert sample().choices[0].message.content == sample().choices[0].message.content


def test_stop_string_cuts_the_answer_before_it(client, ask):
    messages = ask("one two three")
    free = client.chat.completions.create(model="tiny-qwen3", messages=messages, max_tokens=12, temperature=0)
    text = free.choices[0].message.content
    assert len(text) > 3, "the tiny model should say something"
    stop = text[2:4]
    cut = client.chat.completions.create(
        model="tiny-qwen3", messages=messages, max_tokens=12, temperature=0, stop=[stop]
    )
    assert cut.choices[0].message.content == text[: text.index(stop)]
    assert cut.choices[0].finish_reason == "stop"


def test_logprobs_with_alternatives(client, ask):
    resp = client.chat.completions.create(
        model="tiny-qwen3",
        messages=ask("hello"),
        max_tokens=4,
        temperature=0,
        logprobs=True,
        top_logprobs=3,
    )
    content = resp.choices[0].logprobs.content
    assert len(content) == resp.usage.completion_tokens
    for entry in content:
        assert entry.logprob <= 0
        assert len(entry.top_logprobs) == 3
        # greedy: the chosen token is the likeliest one
        assert entry.logprob == pytest.approx(entry.top_logprobs[0].logprob, abs=1e-4)


def test_more_logprobs_than_max_logprobs_is_refused(client, ask):
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="tiny-qwen3", messages=ask("hello"), max_tokens=2, logprobs=True, top_logprobs=6
        )
    assert "max_logprobs" in info.value.message


def test_system_message_changes_the_prompt(client):
    plain = client.chat.completions.create(
        model="tiny-qwen3",
        max_tokens=2,
        temperature=0,
        messages=[{"role": "user", "content": "hi"}],
    )
    with_system = client.chat.completions.create(
        model="tiny-qwen3",
        max_tokens=2,
        temperature=0,
        messages=[
            {"role": "system", "content": "You are a model."},
            {"role": "user", "content": "hi"},
        ],
    )
    assert with_system.usage.prompt_tokens > plain.usage.prompt_tokens
