"""``swift sft --num_labels`` (``--task_type seq_cls``): a classification head learns, reloads and answers."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

POSITIVE = ("great", "wonderful", "lovely", "excellent", "happy")
NEGATIVE = ("awful", "terrible", "bad", "horrible", "sad")


def write_reviews(path: Path, n: int = 160, *, extra: list[dict] | None = None) -> str:
    """A separable two-class set: the word that decides the label is in every row."""
    rng = random.Random(0)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            label = i % 2
            word = rng.choice(POSITIVE if label else NEGATIVE)
            fh.write(json.dumps({"messages": [{"role": "user", "content": f"the movie was {word}"}], "label": label}))
            fh.write("\n")
        for row in extra or ():
            fh.write(json.dumps(row) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def reviews(tmp_path_factory) -> str:
    return write_reviews(tmp_path_factory.mktemp("cls") / "reviews.jsonl")


@pytest.fixture(scope="module")
def trained(tiny_model_dir, reviews, tmp_path_factory) -> dict:
    """One LoRA classification run, shared by the tests that read its results."""
    from swift.arguments import TrainArguments
    from swift.llm import sft_main

    args = TrainArguments(
        model=tiny_model_dir,
        dataset=[reviews],
        num_labels=2,
        output_dir=str(tmp_path_factory.mktemp("cls-run") / "output"),
        max_steps=30,
        learning_rate=5e-3,
        per_device_train_batch_size=8,
        per_device_eval_batch_size=8,
        logging_steps=5,
        save_steps=30,
        eval_steps=30,
        split_dataset_ratio=0.2,
        lora_dropout=0.0,
    )
    return sft_main(args)


def _logs(run_dir: str) -> list[dict]:
    return [json.loads(line) for line in (Path(run_dir) / "logging.jsonl").read_text().splitlines() if line.strip()]


def test_a_tiny_model_learns_a_separable_two_class_set(trained):
    logs = _logs(trained["output_dir"])
    evals = [r for r in logs if "eval_acc" in r]
    assert evals and evals[-1]["eval_acc"] >= 0.9, evals
    assert evals[-1]["eval_f1"] >= 0.9
    train = [r for r in logs if "loss" in r and "acc" in r]
    assert train[-1]["loss"] < train[0]["loss"] - 0.2, train
    saved = json.loads((Path(trained["output_dir"]) / "args.json").read_text())
    assert (saved["task_type"], saved["num_labels"], saved["problem_type"]) == (
        "seq_cls",
        2,
        "single_label_classification",
    )


def test_the_adapter_trains_the_head_and_loads_in_plain_peft(trained, tiny_model_dir, reviews):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    ckpt = Path(trained["last_model_checkpoint"])
    config = json.loads((ckpt / "adapter_config.json").read_text())
    assert config["task_type"] == "SEQ_CLS" and "score" in config["modules_to_save"]

    tokenizer = AutoTokenizer.from_pretrained(ckpt)
    base = AutoModelForSequenceClassification.from_pretrained(
        tiny_model_dir, num_labels=2, pad_token_id=tokenizer.pad_token_id
    )
    model = PeftModel.from_pretrained(base, str(ckpt)).eval()
    prompt = "<|im_start|>user\nthe movie was {}<|im_end|>\n<|im_start|>assistant\n"
    with torch.no_grad():
        good = model(**tokenizer(prompt.format("lovely"), return_tensors="pt")).logits.argmax(-1).item()
        bad = model(**tokenizer(prompt.format("horrible"), return_tensors="pt")).logits.argmax(-1).item()
    assert (good, bad) == (1, 0)


def test_swift_infer_answers_labels_with_probabilities_that_sum_to_one(trained, reviews, tmp_path):
    from swift.arguments import InferArguments
    from swift.llm import infer_main

    result = tmp_path / "result.jsonl"
    summary = infer_main(
        InferArguments(adapters=[trained["last_model_checkpoint"]], val_dataset=[reviews], result_path=str(result))
    )
    rows = [json.loads(line) for line in result.read_text().splitlines()]
    assert len(rows) == 160 and summary["acc"] >= 0.9
    for row in rows:
        assert math.isclose(sum(row["probs"]), 1.0, abs_tol=1e-5)
        assert row["response"] == str(max(range(2), key=row["probs"].__getitem__))
        assert row["labels"] in (0, 1)


def test_bad_labels_are_counted_and_dropped_or_raised_with_strict(tiny_model_dir, tmp_path, caplog):
    from swift.arguments import TrainArguments
    from swift.kernel import UsageError
    from swift.llm import sft_main

    user = [{"role": "user", "content": "the movie was odd"}]
    data = write_reviews(
        tmp_path / "bad.jsonl",
        16,
        extra=[{"messages": user, "label": 7}, {"messages": user, "label": "positive"}, {"messages": user}],
    )
    common = dict(model=tiny_model_dir, dataset=[data], num_labels=2, max_steps=1, split_dataset_ratio=0.0)
    with caplog.at_level("WARNING"):
        summary = sft_main(TrainArguments(output_dir=str(tmp_path / "ok"), **common))
    assert summary["global_step"] == 1
    assert "dropped 3 of 19" in caplog.text, caplog.text
    with pytest.raises(UsageError, match="label 7 is not a class index 0 … 1"):
        sft_main(TrainArguments(output_dir=str(tmp_path / "strict"), strict=True, **common))


@pytest.mark.parametrize(
    ("problem_type", "labels", "metrics"),
    [
        ("multi_label_classification", lambda i: [i % 3, (i + 1) % 3], ("eval_acc", "eval_f1")),
        ("regression", lambda i: [float(i % 3), -1.0, 0.5], ("eval_mse", "eval_mae")),
    ],
)
def test_multi_label_and_regression_train_and_report_their_metrics(
    tiny_model_dir, tmp_path, problem_type, labels, metrics
):
    import torch
    from swift_transformers.engine.pt import PtEngine

    from swift.arguments import InferArguments, TrainArguments
    from swift.llm import sft_main
    from swift.protocol import InferRequest

    data = tmp_path / "rows.jsonl"
    data.write_text(
        "".join(
            json.dumps({"messages": [{"role": "user", "content": f"item {i}"}], "label": labels(i)}) + "\n"
            for i in range(24)
        )
    )
    summary = sft_main(
        TrainArguments(
            model=tiny_model_dir,
            dataset=[str(data)],
            num_labels=3,
            problem_type=problem_type,
            output_dir=str(tmp_path / "out"),
            max_steps=4,
            per_device_train_batch_size=4,
            split_dataset_ratio=0.25,
            eval_steps=4,
        )
    )
    evals = [r for r in _logs(summary["output_dir"]) if "eval_loss" in r]
    assert all(key in evals[-1] for key in metrics), evals[-1]

    engine = PtEngine(InferArguments(adapters=[summary["last_model_checkpoint"]]))
    try:
        [response] = engine.infer([InferRequest(messages=[{"role": "user", "content": "item 4"}])])
    finally:
        engine.close()
    probs = response.choices[0].probs
    assert len(probs) == 3
    if problem_type == "multi_label_classification":  # independent sigmoids, each in (0, 1)
        assert all(0 < p < 1 for p in probs)
        names = response.choices[0].message.content
        assert names == ",".join(str(i) for i, p in enumerate(probs) if p > 0.5)
    else:
        assert response.choices[0].message.content == ",".join(f"{v:.6g}" for v in probs)
    assert torch.isfinite(torch.tensor(probs)).all()


def test_a_fully_trained_classifier_is_found_by_swift_infer_without_flags(tiny_model_dir, reviews, tmp_path):
    from swift_transformers.engine.pt import PtEngine

    from swift.arguments import InferArguments, TrainArguments
    from swift.llm import sft_main
    from swift.protocol import InferRequest

    summary = sft_main(
        TrainArguments(
            model=tiny_model_dir,
            dataset=[reviews],
            num_labels=2,
            train_type="full",
            output_dir=str(tmp_path / "out"),
            max_steps=2,
            split_dataset_ratio=0.0,
            add_version=False,
        )
    )
    ckpt = Path(summary["last_model_checkpoint"])
    config = json.loads((ckpt / "config.json").read_text())
    assert config["architectures"] == ["Qwen3ForSequenceClassification"]
    (ckpt / "args.json").unlink()  # nothing but the checkpoint itself tells what it is
    engine = PtEngine(InferArguments(model=str(ckpt)))
    try:
        [response] = engine.infer([InferRequest(messages=[{"role": "user", "content": "the movie was fine"}])])
    finally:
        engine.close()
    assert len(response.choices[0].probs) == 2 and math.isclose(sum(response.choices[0].probs), 1.0, abs_tol=1e-5)


def test_a_merged_classifier_answers_as_its_adapter_did(trained, tmp_path):
    from swift_transformers.engine.pt import PtEngine

    from swift.arguments import ExportArguments, InferArguments
    from swift.llm import export_main
    from swift.protocol import InferRequest

    request = InferRequest(messages=[{"role": "user", "content": "the movie was lovely"}])

    def probs(args):
        engine = PtEngine(args)
        try:
            return engine.infer([request])[0].choices[0].probs
        finally:
            engine.close()

    merged = tmp_path / "merged"
    export_main(ExportArguments(adapters=[trained["last_model_checkpoint"]], merge_lora=True, output_dir=str(merged)))
    assert json.loads((merged / "config.json").read_text())["architectures"] == ["Qwen3ForSequenceClassification"]
    before = probs(InferArguments(adapters=[trained["last_model_checkpoint"]]))
    after = probs(InferArguments(model=str(merged)))
    assert after == pytest.approx(before, abs=1e-5)
