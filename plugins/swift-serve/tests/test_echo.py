"""``/v1/completions`` with token-id prompts and ``echo`` + ``logprobs``: what lm-eval's API models need.

Values are checked against log-probabilities computed directly with transformers on the same
checkpoint; lm-eval's own ``local-completions`` model class is used unchanged.
"""

from __future__ import annotations

import httpx
import openai
import pytest

TEXT = "The weather today is fine and sunny"


@pytest.fixture(scope="module")
def reference(tiny_model_dir):
    """``(ids, logprobs)``: the tokens of a text and each token's logprob given those before it, by transformers."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)

    def score(text: str, continuation: str = "") -> tuple[list[int], list[float], int]:
        context = tokenizer(text)["input_ids"]
        ids = context + tokenizer(text + continuation)["input_ids"][len(context) :]
        with torch.no_grad():
            logprobs = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), dim=-1)
        return ids, [logprobs[i - 1, ids[i]].item() for i in range(1, len(ids))], len(context)

    return score


def _complete(server, **body) -> httpx.Response:
    return httpx.post(server.url + "/v1/completions", json={"model": "tiny-qwen3", **body}, timeout=120)


def test_echo_with_max_tokens_0_gives_the_prompt_logprobs_of_transformers(server, reference):
    ids, expected, _ = reference(TEXT)

    answer = _complete(server, prompt=ids, max_tokens=0, echo=True, logprobs=3)

    assert answer.status_code == 200, answer.text
    [choice] = answer.json()["choices"]
    logprobs = choice["logprobs"]
    assert logprobs["token_logprobs"][0] is None and logprobs["top_logprobs"][0] is None
    assert logprobs["token_logprobs"][1:] == pytest.approx(expected, abs=1e-4)
    assert len(logprobs["tokens"]) == len(ids) and choice["text"] == "".join(logprobs["tokens"])
    # three alternatives each (fewer only where two token ids decode to the same text, a dict key)
    assert all(1 <= len(top) <= 3 for top in logprobs["top_logprobs"][1:])
    distinct = [(top, lp) for top, lp in zip(logprobs["top_logprobs"][1:], expected) if len(top) == 3]
    assert distinct and all(max(top.values()) >= lp - 1e-6 for top, lp in distinct)  # the likeliest comes first
    assert answer.json()["usage"]["completion_tokens"] == 0


def test_a_token_id_prompt_is_continued_like_its_text(server, reference):
    ids, _, _ = reference(TEXT)

    by_ids = _complete(server, prompt=ids, max_tokens=6, temperature=0, return_token_ids=True).json()
    by_text = _complete(server, prompt=TEXT, max_tokens=6, temperature=0, return_token_ids=True).json()

    assert by_ids["choices"][0]["prompt_token_ids"] == ids
    assert by_ids["choices"][0]["text"] == by_text["choices"][0]["text"]


def test_several_token_id_prompts_with_echo_keep_their_order(server, reference):
    ids, expected, _ = reference(TEXT)

    answer = _complete(server, prompt=[ids, ids[:3]], max_tokens=1, echo=True, logprobs=1, temperature=0).json()

    first, second = answer["choices"]
    assert first["logprobs"]["token_logprobs"][1 : len(ids)] == pytest.approx(expected, abs=1e-4)
    assert second["logprobs"]["token_logprobs"][1:3] == pytest.approx(expected[:2], abs=1e-4)
    assert len(second["logprobs"]["tokens"]) == 4  # three prompt tokens and the generated one


def test_one_greedy_token_after_an_echoed_prompt_is_the_plain_greedy_token_with_its_logprob(
    server, reference, tiny_model_dir
):
    # lm-eval's log-likelihood requests: echo, logprobs 1, max_tokens 1, temperature 0. The engine takes
    # that token from the scoring pass; it must be what plain greedy decoding answers.
    ids, _, _ = reference(TEXT)
    plain = _complete(server, prompt=ids, max_tokens=1, temperature=0, return_token_ids=True).json()["choices"][0]

    echoed = _complete(server, prompt=ids, max_tokens=1, echo=True, logprobs=1, temperature=0).json()["choices"][0]

    assert echoed["text"] == TEXT + plain["text"]
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    with torch.no_grad():
        logprobs = torch.log_softmax(model(torch.tensor([ids])).logits[0, -1].float(), dim=-1)
    token = int(torch.argmax(logprobs))
    assert plain["token_ids"] == [token]
    assert echoed["logprobs"]["token_logprobs"][-1] == pytest.approx(logprobs[token].item(), abs=1e-4)
    assert echoed["finish_reason"] in ("length", "stop")


def test_prompts_sharing_a_context_score_as_if_each_were_alone(server, reference):
    # a multiple-choice question: one context, several continuations, in one request (scored packed)
    context = TEXT + " and the forecast for tomorrow says"
    choices = [" rain", " more sun and wind", " snow", " rain later", ""]  # "": the bare context
    expected = [reference(context, choice) for choice in choices]

    answer = _complete(server, prompt=[ids for ids, _, _ in expected], max_tokens=1, echo=True, logprobs=2,
                       temperature=0).json()  # fmt: skip

    for choice, (ids, logprobs, _) in zip(answer["choices"], expected):
        assert choice["logprobs"]["token_logprobs"][1 : len(ids)] == pytest.approx(logprobs, abs=1e-4)
        alone = _complete(server, prompt=ids, max_tokens=1, temperature=0).json()["choices"][0]["text"]
        assert choice["text"] == "".join(choice["logprobs"]["tokens"][: len(ids)]) + alone


def test_echo_without_logprobs_puts_the_prompt_before_the_answer(server):
    answer = _complete(server, prompt="The weather", echo=True, max_tokens=3, temperature=0).json()
    plain = _complete(server, prompt="The weather", max_tokens=3, temperature=0).json()

    assert answer["choices"][0]["text"] == "The weather" + plain["choices"][0]["text"]
    assert answer["choices"][0]["logprobs"] is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"prompt": "x", "max_tokens": 0}, "only allowed with"),
        ({"prompt": "x", "echo": True, "stream": True}, "not supported with"),
        ({"prompt": [1, -2]}, "prompt"),
        ({"prompt": [1, 99999]}, "vocabulary has"),
        ({"prompt": [[1, 2], "x"]}, "prompt"),
    ],
)
def test_bad_token_prompts_and_echo_combinations_are_400(server, body, message):
    answer = _complete(server, **body)
    assert answer.status_code == 400 and message in answer.json()["error"]["message"]


def test_the_official_openai_client_reads_echoed_logprobs(server, reference):
    ids, expected, _ = reference(TEXT)
    with openai.OpenAI(base_url=server.url + "/v1", api_key="-", max_retries=0) as client:
        answer = client.completions.create(model="tiny-qwen3", prompt=ids, max_tokens=0, echo=True, logprobs=1)
    assert answer.choices[0].logprobs.token_logprobs[1:] == pytest.approx(expected, abs=1e-4)


def test_lm_eval_local_completions_scores_and_generates_through_the_server(server, reference, tiny_model_dir):
    from lm_eval.api.instance import Instance
    from lm_eval.models.openai_completions import LocalCompletionsAPI

    pairs = [("The weather today is", " fine"), ("One plus one equals", " two"), ("Hello", " world and more")]
    lm = LocalCompletionsAPI(
        base_url=server.url + "/v1/completions", model="tiny-qwen3", tokenizer=tiny_model_dir,
        tokenizer_backend="huggingface", num_concurrent=2, max_retries=1,
    )  # fmt: skip
    scored = lm.loglikelihood(
        [Instance(request_type="loglikelihood", doc={}, arguments=pair, idx=i) for i, pair in enumerate(pairs)]
    )
    for (context, continuation), (loglikelihood, _) in zip(pairs, scored):
        _, logprobs, context_len = reference(context, continuation)
        assert loglikelihood == pytest.approx(sum(logprobs[context_len - 1 :]), abs=1e-4)

    [generated] = lm.generate_until(
        [Instance(request_type="generate_until", doc={}, arguments=("The weather", {"max_gen_toks": 5}), idx=0)]
    )
    ours = _complete(server, prompt="The weather", max_tokens=5, temperature=0).json()["choices"][0]["text"]
    assert generated == ours
