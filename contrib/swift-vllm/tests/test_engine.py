"""The ``vllm`` engine answers as the ``pt`` engine does: same template, same greedy tokens."""

from __future__ import annotations

import asyncio

import pytest

from swift.protocol import InferRequest, InvalidRequestError, RequestConfig, join_stream

GREEDY = {"max_tokens": 12, "temperature": 0}


def texts(responses) -> list[str]:
    return [r.choices[0].message.content for r in responses]


def test_batch_greedy_answers_equal_the_transformers_engine(engine, pt_engine, chats):
    config = RequestConfig(**GREEDY)

    ours, reference = engine.infer(chats, config), pt_engine.infer(chats, config)

    assert texts(ours) == texts(reference)
    assert [r.usage.to_dict() for r in ours] == [r.usage.to_dict() for r in reference]
    assert [r.choices[0].finish_reason for r in ours] == ["length"] * len(chats)
    assert all(r.model == "tiny-qwen3" for r in ours)


def test_the_prompt_is_our_template_not_vllms_chat_template(engine, pt_engine, chats):
    # a system prompt the tokenizer's jinja template would render differently from ours
    request = InferRequest(messages=[{"role": "system", "content": "Be brief."},
                                     {"role": "user", "content": "hello"}])  # fmt: skip
    config = RequestConfig(max_tokens=6, temperature=0, return_token_ids=True)

    [ours] = engine.infer([request], config)

    assert ours.prompt_token_ids == pt_engine._prompts.encode(request)
    assert texts([ours]) == texts(pt_engine.infer([request], config))


def test_streamed_chunks_join_to_the_batch_answers(engine, pt_engine, chats):
    streams = engine.infer(chats, RequestConfig(stream=True, **GREEDY))
    joined = [join_stream(list(stream)) for stream in streams]

    assert [text for text, _ in joined] == texts(pt_engine.infer(chats, RequestConfig(**GREEDY)))
    assert [reason for _, reason in joined] == ["length"] * len(chats)


def test_stop_words_cut_the_answer_where_the_transformers_engine_does(engine, pt_engine, chats):
    full = texts(engine.infer(chats[:1], RequestConfig(**GREEDY)))[0]
    stop = full[3:6]  # text the greedy answer is known to produce
    config = RequestConfig(stop=[stop], **GREEDY)

    [ours], [reference] = engine.infer(chats[:1], config), pt_engine.infer(chats[:1], config)
    streamed, reason = join_stream(list(engine.infer(chats[:1], RequestConfig(stream=True, stop=[stop], **GREEDY))[0]))

    assert texts([ours]) == texts([reference]) == [full[: full.index(stop)]]
    assert ours.choices[0].finish_reason == reason == "stop"
    assert streamed == full[: full.index(stop)]


def test_logprobs_and_alternatives_match_the_transformers_engine(engine, pt_engine, chats):
    config = RequestConfig(max_tokens=4, temperature=0, logprobs=True, top_logprobs=3)

    [ours], [reference] = engine.infer(chats[:1], config), pt_engine.infer(chats[:1], config)

    mine, theirs = ours.choices[0].logprobs.content, reference.choices[0].logprobs.content
    assert [t.token for t in mine] == [t.token for t in theirs]
    assert [t.logprob for t in mine] == pytest.approx([t.logprob for t in theirs], abs=1e-3)
    assert [[a.token for a in t.top_logprobs] for t in mine] == [[a.token for a in t.top_logprobs] for t in theirs]


def test_n_sampled_answers_with_a_seed_are_reproducible(engine, chats):
    config = RequestConfig(n=3, max_tokens=8, temperature=1.0, seed=7)

    first, second = engine.infer(chats[:1], config)[0], engine.infer(chats[:1], config)[0]

    assert [c.index for c in first.choices] == [0, 1, 2]
    assert texts_of(first) == texts_of(second)
    assert len(set(texts_of(first))) > 1
    assert 3 <= first.usage.completion_tokens <= 3 * 8


def texts_of(response) -> list[str]:
    return [c.message.content for c in response.choices]


def test_a_named_adapter_answers_like_peft_and_an_unknown_one_is_refused(engine, pt_engine, chats):
    config = RequestConfig(**GREEDY)

    ours = engine.infer(chats, config, adapter="lora1")

    assert texts(ours) == texts(pt_engine.infer(chats, config, adapter="lora1"))
    assert texts(ours) != texts(engine.infer(chats, config))
    assert ours[0].model == "lora1" and engine.adapter_names == ("lora1",)
    with pytest.raises(InvalidRequestError, match="unknown adapter 'nope'; available adapters: lora1"):
        engine.infer(chats, config, adapter="nope")


def test_concurrent_infer_async_calls_from_another_loop_share_the_engine(engine, chats):
    config = RequestConfig(**GREEDY)

    async def ask_all():
        answers = await asyncio.gather(*(engine.infer_async(c, config) for c in chats))
        stream = await engine.infer_async(chats[0], RequestConfig(stream=True, **GREEDY))
        chunks = [chunk async for chunk in stream]
        return answers, chunks

    answers, chunks = asyncio.run(ask_all())

    assert texts(answers) == texts(engine.infer(chats, config))
    assert join_stream(chunks)[0] == texts(answers)[0]


def test_a_prompt_longer_than_the_context_is_an_invalid_request(engine):
    long = InferRequest(messages=[{"role": "user", "content": "one two " * 4000}])

    with pytest.raises(InvalidRequestError, match="takes at most 4096"):
        engine.infer([long], RequestConfig(max_tokens=4))


@pytest.mark.parametrize(
    "penalties",
    [
        {"frequency_penalty": 2.0},
        {"presence_penalty": 2.0},
        {"presence_penalty": -2.0},
        {"logit_bias": {77: 100.0}},
    ],
    ids=["frequency", "presence", "negative-presence", "logit-bias"],
)
def test_openai_penalties_and_logit_bias_give_the_transformers_engines_tokens(engine, pt_engine, chats, penalties):
    config = RequestConfig(max_tokens=40, temperature=0, return_token_ids=True, **penalties)
    plain = RequestConfig(max_tokens=40, temperature=0, return_token_ids=True)

    ours, reference = engine.infer(chats[:2], config), pt_engine.infer(chats[:2], config)

    ids = [r.choices[0].token_ids for r in ours]
    assert ids == [r.choices[0].token_ids for r in reference]
    assert ids != [r.choices[0].token_ids for r in engine.infer(chats[:2], plain)]


def test_echo_gives_the_prompt_logprobs_of_the_transformers_engine(engine, pt_engine):
    request = InferRequest.completion("The weather today is fine and sunny")
    [reference] = pt_engine.infer([request], RequestConfig(max_tokens=0, echo=True, logprobs=True, top_logprobs=2))

    for max_tokens in (0, 1):
        config = RequestConfig(max_tokens=max_tokens, echo=True, logprobs=True, top_logprobs=2, temperature=0)
        [ours] = engine.infer([request], config)

        assert [e.token for e in ours.prompt_logprobs] == [e.token for e in reference.prompt_logprobs]
        assert ours.prompt_logprobs[0].logprob is None
        for mine, theirs in zip(ours.prompt_logprobs[1:], reference.prompt_logprobs[1:]):
            assert mine.logprob == pytest.approx(theirs.logprob, abs=1e-3)
            assert [t.token for t in mine.top_logprobs] == [t.token for t in theirs.top_logprobs]
        assert ours.usage.completion_tokens == max_tokens


def test_a_token_id_prompt_is_answered_like_its_text(engine, pt_engine):
    text = InferRequest.completion("The weather today is")
    config = RequestConfig(max_tokens=6, temperature=0, return_token_ids=True)
    [by_text] = engine.infer([text], config)

    [by_ids] = engine.infer([InferRequest.completion(by_text.prompt_token_ids)], config)

    assert by_ids.choices[0].token_ids == by_text.choices[0].token_ids
    with pytest.raises(InvalidRequestError, match="vocabulary"):
        engine.infer([InferRequest.completion([10**7])], config)


def test_ignore_eos_answers_max_tokens_like_the_transformers_engine(engine, pt_engine, chats):
    end = engine.tokenizer.convert_tokens_to_ids("<|im_end|>")
    forced = RequestConfig(max_tokens=5, temperature=0, logit_bias={end: 100.0}, return_token_ids=True)
    ignoring = RequestConfig(**{**forced.to_dict(), "ignore_eos": True})

    [stopped], [kept_going] = engine.infer(chats[:1], forced), engine.infer(chats[:1], ignoring)

    assert stopped.choices[0].finish_reason == "stop" and stopped.usage.completion_tokens == 1
    assert kept_going.choices[0].finish_reason == "length" and kept_going.choices[0].token_ids == [end] * 5
    assert kept_going.choices[0].token_ids == pt_engine.infer(chats[:1], ignoring)[0].choices[0].token_ids
