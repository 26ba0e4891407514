"""PtEngine answers like transformers' generate would, with OpenAI-shaped results."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from swift.protocol import (
    ChatCompletionResponse,
    InferEngine,
    InvalidRequestError,
    RequestConfig,
    join_stream,
)

GREEDY = RequestConfig(max_tokens=12, temperature=0)


def _text(response: ChatCompletionResponse, index: int = 0) -> str:
    return response.choices[index].message.content


def test_engine_satisfies_the_protocol(engine):
    assert isinstance(engine, InferEngine)
    assert engine.model_name.startswith("tiny-qwen3")


def test_greedy_answer_equals_plain_generate(engine, ask):
    request = ask("hello")
    ids = engine.encode(request)
    expected = engine.model.generate(torch.tensor([ids]), max_new_tokens=12, do_sample=False)[0, len(ids) :]
    [response] = engine.infer([request], GREEDY)
    assert _text(response) == engine.tokenizer.decode(expected, skip_special_tokens=True)
    assert response.object == "chat.completion" and response.choices[0].message.role == "assistant"


def test_batched_greedy_answers_equal_single_answers(engine, ask, prompts):
    requests = [ask(p) for p in prompts]
    batched = engine.infer(requests, GREEDY)
    singles = [engine.infer([r], GREEDY)[0] for r in requests]
    assert [_text(r) for r in batched] == [_text(r) for r in singles]
    # different prompt lengths really were left-padded into one batch
    assert len({len(engine.encode(r)) for r in requests}) > 1


def test_max_tokens_ends_with_length_and_counts_usage(engine, ask):
    request = ask("one two three")
    [response] = engine.infer([request], RequestConfig(max_tokens=5, temperature=0))
    usage = response.usage
    assert response.choices[0].finish_reason == "length"
    assert usage.prompt_tokens == len(engine.encode(request))
    assert usage.completion_tokens == 5
    assert usage.total_tokens == usage.prompt_tokens + 5


def test_stop_string_cuts_the_answer_before_it(engine, ask):
    request = ask("What is the weather today in the city?")
    [full] = engine.infer([request], RequestConfig(max_tokens=16, temperature=0))
    text = _text(full)
    stop = text[5:8]
    [cut] = engine.infer([request], RequestConfig(max_tokens=16, temperature=0, stop=[stop]))
    assert _text(cut) == text[: text.find(stop)]
    assert cut.choices[0].finish_reason == "stop"
    assert cut.usage.completion_tokens < 16


def test_stream_never_shows_a_stop_string(engine, ask):
    request = ask("What is the weather today in the city?")
    [full] = engine.infer([request], RequestConfig(max_tokens=16, temperature=0))
    stop = _text(full)[5:8]
    config = RequestConfig(max_tokens=16, temperature=0, stop=[stop], stream=True)
    chunks = list(engine.infer([request], config)[0])
    text, finish = join_stream(chunks)
    assert text == _text(full)[: _text(full).find(stop)] and finish == "stop"


def test_end_of_turn_token_ends_the_answer_with_stop(tiny_model_dir, engine, ask):
    from swift_transformers.engine.pt import PtEngine
    from swift_transformers.models.loading import load_model

    from swift.arguments import InferArguments
    from swift.template import get_template

    request = ask("hello")
    ids = engine.encode(request)
    generated = engine.model.generate(torch.tensor([ids]), max_new_tokens=8, do_sample=False)[0, len(ids) :].tolist()
    end = generated[3]
    # a model whose end-of-turn token is the 4th token this prompt produces
    args = InferArguments(model=tiny_model_dir)
    model, tokenizer, _ = load_model(args)
    model.generation_config.eos_token_id = [end]
    other = PtEngine(args, model=model, tokenizer=tokenizer, template=get_template("qwen3", tokenizer, args))
    try:
        [response] = other.infer([request], RequestConfig(max_tokens=8, temperature=0))
    finally:
        other.close()
    stop_at = generated.index(end)
    assert response.choices[0].finish_reason == "stop"
    assert response.usage.completion_tokens == stop_at + 1
    assert _text(response) == engine.tokenizer.decode(generated[:stop_at], skip_special_tokens=True)


def test_ignore_eos_writes_past_the_end_of_turn_up_to_max_tokens(engine, ask):
    end = engine.tokenizer.convert_tokens_to_ids("<|im_end|>")
    forced = RequestConfig(max_tokens=5, temperature=0, logit_bias={end: 100}, return_token_ids=True)

    [stopped] = engine.infer([ask("hello")], forced)
    [kept_going] = engine.infer([ask("hello")], replace(forced, ignore_eos=True))

    assert stopped.choices[0].finish_reason == "stop" and stopped.choices[0].token_ids == [end]
    assert kept_going.choices[0].finish_reason == "length" and kept_going.choices[0].token_ids == [end] * 5
    # a stop the request names itself still ends it
    [asked] = engine.infer([ask("hello")], replace(forced, ignore_eos=True, stop=["<|im_end|>"]))
    assert asked.choices[0].finish_reason == "stop" and asked.usage.completion_tokens == 1


def test_stream_chunks_concatenate_to_the_answer(engine, ask, prompts):
    requests = [ask(p) for p in prompts]
    answers = engine.infer(requests, GREEDY)
    streams = engine.infer(requests, RequestConfig(max_tokens=12, temperature=0, stream=True))
    for answer, stream in zip(answers, streams):
        chunks = list(stream)
        assert len(chunks) > 1
        assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)
        assert join_stream(chunks) == (_text(answer), answer.choices[0].finish_reason)
        assert chunks[-1].usage.completion_tokens == answer.usage.completion_tokens


def test_logprobs_match_log_softmax_of_generate_scores(engine, ask):
    request = ask("hello")
    ids = engine.encode(request)
    out = engine.model.generate(
        torch.tensor([ids]),
        max_new_tokens=6,
        do_sample=False,
        output_scores=True,
        return_dict_in_generate=True,
    )
    [response] = engine.infer([request], RequestConfig(max_tokens=6, temperature=0, logprobs=True, top_logprobs=3))
    entries = response.choices[0].logprobs.content
    assert len(entries) == 6
    for step, entry in enumerate(entries):
        expected = torch.log_softmax(out.scores[step][0].float(), -1)
        token = out.sequences[0, len(ids) + step]
        assert entry.logprob == pytest.approx(expected[token].item(), abs=1e-4)
        assert entry.bytes == list(entry.token.encode("utf-8"))
        assert len(entry.top_logprobs) == 3
        assert [t.logprob for t in entry.top_logprobs] == sorted((t.logprob for t in entry.top_logprobs), reverse=True)
        assert entry.top_logprobs[0].logprob == pytest.approx(entry.logprob)  # greedy picks the top token


def test_response_round_trips_through_json(engine, ask):
    [response] = engine.infer([ask("hi")], RequestConfig(max_tokens=4, temperature=0, logprobs=True, top_logprobs=2))
    assert ChatCompletionResponse.from_dict(response.to_dict()) == response


def test_n_answers_and_seeded_sampling_repeat(engine, ask):
    config = RequestConfig(max_tokens=8, temperature=1.0, n=3, seed=7, logprobs=True)
    [first] = engine.infer([ask("hello")], config)
    [again] = engine.infer([ask("hello")], config)
    assert [c.index for c in first.choices] == [0, 1, 2]
    assert [_text(first, i) for i in range(3)] == [_text(again, i) for i in range(3)]
    assert len({_text(first, i) for i in range(3)}) > 1  # three samples, not three copies
    assert first.usage.completion_tokens == sum(len(c.logprobs.content) for c in first.choices)


def test_beam_search_answers(engine, ask):
    [response] = engine.infer([ask("hello")], RequestConfig(max_tokens=6, num_beams=2, temperature=0))
    assert response.choices[0].finish_reason == "length"
    assert response.usage.completion_tokens == 6 and _text(response)


def test_a_prompt_longer_than_the_model_is_refused(engine, ask):
    with pytest.raises(InvalidRequestError, match="at most"):
        engine.infer([ask("one two " * 3000)], GREEDY)


def test_an_invalid_conversation_is_refused(engine):
    from swift.protocol import InferRequest

    request = InferRequest(messages=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}])
    with pytest.raises(InvalidRequestError, match="cannot encode"):
        engine.infer([request], GREEDY)
