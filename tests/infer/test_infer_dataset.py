"""`swift infer` over data: JSONL results, sampling, held-out split, merged adapters, engine choice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GEN = ("--max_new_tokens", "6", "--temperature", "0")


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def test_val_dataset_results_are_written_one_line_per_row(run_swift, tiny_model_path, chat_data, tmp_path):
    out = tmp_path / "results" / "infer.jsonl"
    code, stdout, _ = run_swift(
        "infer",
        "--model",
        str(tiny_model_path),
        "--val_dataset",
        str(chat_data),
        "--result_path",
        str(out),
        "--max_batch_size",
        "4",
        *GEN,
    )
    assert code == 0
    rows = _lines(out)
    assert len(rows) == 6
    assert rows[1]["labels"] == "answer 1"
    assert rows[1]["messages"][0] == {"role": "user", "content": "who are you"}
    assert rows[1]["messages"][-1] == {"role": "assistant", "content": rows[1]["response"]}
    assert all(r["response"] for r in rows)
    assert f"wrote 6 results to {out}" in stdout


def test_val_dataset_sample_limits_the_rows(run_swift, tiny_model_path, chat_data, tmp_path):
    out = tmp_path / "few.jsonl"
    code, _, _ = run_swift(
        "infer",
        "--model",
        str(tiny_model_path),
        "--val_dataset",
        str(chat_data),
        "--val_dataset_sample",
        "3",
        "--result_path",
        str(out),
        *GEN,
    )
    assert code == 0
    rows = _lines(out)
    assert len(rows) == 3
    assert len({r["labels"] for r in rows}) == 3


def test_held_out_split_of_the_training_run_with_default_result_path(run_swift, training_run):
    checkpoint = training_run / "checkpoint-1"
    code, stdout, _ = run_swift("infer", "--adapters", str(checkpoint), "--load_data_args", "true", *GEN)
    assert code == 0
    [result] = (checkpoint / "infer_result").glob("*.jsonl")
    assert len(_lines(result)) == 4  # half of the 8 training rows
    assert str(result) in stdout


def test_merge_lora_saves_the_merged_model_and_answers_like_the_adapter(
    run_swift, training_run, chat_data, tmp_path, tiny_model_path
):
    checkpoint = training_run / "checkpoint-1"
    with_adapter, merged = tmp_path / "adapter.jsonl", tmp_path / "merged.jsonl"
    code, _, _ = run_swift(
        "infer",
        "--adapters",
        str(checkpoint),
        "--val_dataset",
        str(chat_data),
        "--result_path",
        str(with_adapter),
        *GEN,
    )
    assert code == 0
    code, _, err = run_swift(
        "infer",
        "--adapters",
        str(checkpoint),
        "--merge_lora",
        "true",
        "--val_dataset",
        str(chat_data),
        "--result_path",
        str(merged),
        *GEN,
    )
    assert code == 0
    merged_dir = Path(f"{checkpoint}-merged")
    assert (merged_dir / "config.json").is_file() and (merged_dir / "model.safetensors").is_file()
    assert not (merged_dir / "adapter_config.json").exists()
    assert "merged the adapters into" in err
    assert [r["response"] for r in _lines(merged)] == [r["response"] for r in _lines(with_adapter)]
    code, _, base_err = run_swift(
        "infer",
        "--model",
        str(tiny_model_path),
        "--val_dataset",
        str(chat_data),
        "--result_path",
        str(tmp_path / "base.jsonl"),
        *GEN,
    )
    assert [r["response"] for r in _lines(tmp_path / "base.jsonl")] != [r["response"] for r in _lines(merged)]


def test_an_engine_without_its_plugin_exits_2_naming_the_package(run_swift, tiny_model_path):
    code, _, err = run_swift("infer", "--model", str(tiny_model_path), "--infer_backend", "vllm")
    assert code == 2
    assert "pip install swift-vllm" in err and "Available engines: client, openai, pt, transformers." in err


def test_an_unknown_engine_suggests_the_closest(run_swift, tiny_model_path):
    code, _, err = run_swift("infer", "--model", str(tiny_model_path), "--infer_backend", "transformer")
    assert code == 2
    assert "unknown engine 'transformer'" in err and "Did you mean 'transformers'?" in err


def test_transformers_is_an_alias_of_pt(run_swift, tiny_model_path, chat_data, tmp_path):
    out = tmp_path / "alias.jsonl"
    code, _, _ = run_swift(
        "infer",
        "--model",
        str(tiny_model_path),
        "--infer_backend",
        "transformers",
        "--val_dataset",
        str(chat_data),
        "--val_dataset_sample",
        "1",
        "--result_path",
        str(out),
        *GEN,
    )
    assert code == 0 and len(_lines(out)) == 1


def test_protocol_and_infer_pipeline_import_no_torch():
    code = (
        "import sys, swift.protocol, swift.pipelines.infer; "
        "heavy = [m for m in ('torch', 'transformers', 'fastapi', 'datasets', 'peft') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("metric", ["acc", "rouge"])
def test_metric_scores_the_answers_against_their_references(metric, run_swift, tiny_model_path, chat_data, tmp_path):
    from swift.pipelines.infer_dataset import score_answer

    out = tmp_path / "scored.jsonl"
    code, stdout, _ = run_swift(
        "infer", "--model", str(tiny_model_path), "--val_dataset", str(chat_data), "--result_path", str(out),
        "--metric", metric, *GEN,
    )  # fmt: skip
    assert code == 0
    rows = _lines(out)
    expected = sum(score_answer(metric, r["response"], r["labels"]) for r in rows) / len(rows)
    assert f"swift infer: {metric} {expected:.4f} (6 rows with a reference)" in stdout


def test_the_scores_are_exact_match_and_rouge_l():
    from swift.pipelines.infer_dataset import score_answer

    assert score_answer("acc", " Paris\n", "Paris") == 1.0
    assert score_answer("acc", "Paris.", "Paris") == 0.0
    # LCS "the cat sat" = 3 words: precision 1, recall 1/2
    assert score_answer("rouge", "the cat sat", "the cat sat on the mat") == pytest.approx(2 / 3)
    assert score_answer("rouge", "dogs bark", "the cat sat") == 0.0


def test_writer_buffer_size_is_what_the_result_file_holds_before_writing(tmp_path):
    from swift.arguments import InferArguments
    from swift.pipelines.infer_dataset import open_result_file

    line = "x" * 99 + "\n"
    sizes = {}
    for buffer in (65536, 4096):
        path, writer = open_result_file(
            InferArguments(model="m", writer_buffer_size=buffer), str(tmp_path / f"{buffer}")
        )
        with writer:
            for _ in range(200):  # 20 000 characters
                writer.write(line)
            sizes[buffer] = os.path.getsize(path)  # on disk before the file is closed
    assert sizes[65536] == 0 and sizes[4096] > 0, sizes


def test_safe_serialization_false_is_refused():
    from swift.arguments import ArgumentError, ExportArguments

    with pytest.raises(ArgumentError, match="safetensors only"):
        ExportArguments(model="m", safe_serialization=False)
