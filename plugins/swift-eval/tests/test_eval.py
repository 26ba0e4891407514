"""``swift eval`` on a tiny offline model: local files scored exactly as computed directly."""

from __future__ import annotations

import json
import time

import pytest

from swift.kernel import UsageError

QUESTIONS = [
    ("What is two plus three?", ["five", "six", "seven"], 0),
    ("The sky is", ["blue", "green", "loud"], 0),
    ("Which animal barks?", ["cat", "dog", "fish"], 1),
    ("Water freezes at", ["zero degrees", "ninety degrees"], 0),
    ("A week has how many days?", ["five", "seven", "ten", "one"], 1),
    ("Which is a colour?", ["red", "run", "rice"], 0),
]


def _jsonl(path, rows) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


@pytest.fixture(scope="module")
def reference(tiny_model_dir):
    """``loglikelihood(context, continuation)`` by transformers, split as lm-eval splits it."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)

    def loglikelihood(context: str, continuation: str) -> float:
        head = tokenizer(context)["input_ids"]
        ids = tokenizer(context + continuation)["input_ids"]
        with torch.no_grad():
            logprobs = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), dim=-1)
        return sum(logprobs[i - 1, ids[i]].item() for i in range(len(head), len(ids)))

    return loglikelihood


@pytest.fixture
def mc_file(tmp_path) -> str:
    rows = [{"question": q, "choices": c, "answer": a} for q, c, a in QUESTIONS]
    rows[2]["answer"] = "dog"  # the text of the right choice works as well as its index
    return _jsonl(tmp_path / "quiz.jsonl", [*rows, {"question": "bad row"}, "not an object"])


def _expected_accuracy(reference) -> float:
    right = 0
    for question, choices, gold in QUESTIONS:
        scores = [reference(question, " " + choice) for choice in choices]
        right += scores.index(max(scores)) == gold
    return right / len(QUESTIONS)


def test_multiple_choice_accuracy_equals_transformers_loglikelihoods(eval_args, swift_eval, mc_file, reference):
    summary = swift_eval(eval_args(eval_dataset=[mc_file]))

    assert summary["results"]["quiz"]["acc,none"] == pytest.approx(_expected_accuracy(reference))
    run = summary["output_dir"]
    results = json.loads(open(f"{run}/results.json").read())
    assert results["n-samples"]["quiz"]["effective"] == len(QUESTIONS)  # the two bad rows were dropped
    samples = [json.loads(line) for line in open(f"{run}/samples/quiz.jsonl")]
    assert len(samples) == len(QUESTIONS) and {"acc"} <= set(samples[0])
    assert json.loads(open(f"{run}/args.json").read())["eval_dataset"] == [mc_file]


def test_generation_exact_match_is_that_of_the_greedy_answers_of_swift_infer(
    eval_args, swift_eval, tiny_model_dir, tmp_path
):
    from swift.arguments import InferArguments
    from swift.pipelines.infer_engine import create_engine
    from swift.protocol import InferRequest, RequestConfig

    questions = ["hello there", "what is the weather", "one two three", "who are you"]
    engine = create_engine(InferArguments(model=tiny_model_dir))
    try:
        answers = engine.infer(
            [InferRequest(messages=[{"role": "user", "content": q}]) for q in questions],
            RequestConfig(max_tokens=8, temperature=0),
        )
    finally:
        engine.close()
    greedy = [a.choices[0].message.content for a in answers]
    # the first two rows expect what swift infer answers, the last two something else
    rows = [
        {"question": q, "answer": g if i < 2 else "something else"} for i, (q, g) in enumerate(zip(questions, greedy))
    ]

    summary = swift_eval(eval_args(eval_dataset=[_jsonl(tmp_path / "qa.jsonl", rows)],
                                   eval_generation_config={"max_gen_toks": 8}))  # fmt: skip

    assert summary["results"]["qa"]["exact_match,none"] == pytest.approx(0.5)
    assert "math_verify,none" in summary["results"]["qa"]


@pytest.mark.parametrize(
    ("gold", "answer", "exact", "math"),
    [
        ("Paris", "  Paris\n", 1.0, 0.0),  # text: exact match only
        ("$\\frac{1}{2}$", "The answer is 0.5", 0.0, 1.0),
        ("42", "so it is 42.", 0.0, 1.0),
        ("42", "41", 0.0, 0.0),
    ],
)
def test_generation_answers_score_exact_match_and_math_verify(gold, answer, exact, math):
    from swift_eval.tasks import score_answer

    assert score_answer({"answer": gold}, [answer]) == {"exact_match": exact, "math_verify": math}


def test_eval_limit_and_a_second_run_in_its_own_folder(eval_args, swift_eval, mc_file):
    first = swift_eval(eval_args(eval_dataset=[mc_file], eval_limit=2))
    second = swift_eval(eval_args(eval_dataset=[mc_file], eval_limit=3))

    assert first["output_dir"] != second["output_dir"]
    for summary, n in ((first, 2), (second, 3)):
        results = json.loads(open(f"{summary['output_dir']}/results.json").read())
        assert results["n-samples"]["quiz"]["effective"] == n


def test_eval_url_against_a_running_server_gives_the_same_numbers(
    eval_args, swift_eval, mc_file, tiny_model_dir, reference, deployed
):
    with deployed(tiny_model_dir) as (url, served):
        summary = swift_eval(
            eval_args(
                model=served, eval_url=url + "/v1", eval_dataset=[mc_file], eval_args={"tokenizer": tiny_model_dir}
            )
        )
    assert summary["results"]["quiz"]["acc,none"] == pytest.approx(_expected_accuracy(reference))


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"eval_dataset": []}, "--eval_dataset is required"),
        ({"eval_dataset": ["missing/file.jsonl"]}, "no such file"),
        ({"eval_dataset": ["x.jsonl"], "eval_backend": "Native"}, "Available eval_backends: .*lm_eval"),
        ({"eval_dataset": ["x.jsonl"], "eval_args": {"num_fewshots": 1}}, "did you mean .num_fewshot."),
        ({"eval_dataset": ["x.jsonl"], "eval_dataset_args": {"x": {}}}, "EvalScope"),
        ({"eval_dataset": ["x.jsonl"], "eval_args": {"batch_size": 8}}, "does not apply.*model_args"),
        ({"eval_dataset": ["x.jsonl"], "eval_args": {"model_args": {"max_lenght": 8}}}, "did you mean .max_length."),
        ({"eval_dataset": ["arc_easyy"]}, "did you mean arc_easy"),
    ],
)
def test_usage_errors_come_before_any_work(eval_args, swift_eval, tmp_path, flags, message):
    (tmp_path / "x.jsonl").write_text('{"question": "q", "answer": "a"}\n')
    with pytest.raises(UsageError, match=message):
        swift_eval(eval_args(**flags))
    assert not (tmp_path / "eval_output").exists() or not list((tmp_path / "eval_output").iterdir())


def test_a_hub_task_offline_fails_before_the_model_loads_naming_the_task_and_the_hub(eval_args, swift_eval, tmp_path):
    started = time.monotonic()
    with pytest.raises(UsageError, match=r"arc_easy.*hub"):
        swift_eval(eval_args(eval_dataset=["arc_easy"], eval_limit=2))
    assert time.monotonic() - started < 120
    assert not (tmp_path / "eval_output").exists()  # no run folder was made
