"""Named hub datasets: ms-swift's ModelScope ids resolve to a hub, offline runs read the hub cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from swift.kernel import registry

ALPACA = [
    {"instruction": "Name a colour.", "input": "", "output": "Blue."},
    {"instruction": "Add the numbers.", "input": "2 and 3", "output": "5."},
    {"instruction": "Say hello.", "input": "", "output": "Hello!"},
]


def test_the_readme_datasets_are_records_with_both_ids(swift_kernel):
    record = registry("datasets").get("AI-ModelScope/alpaca-gpt4-data-en")
    assert record.hub_id == "vicgalle/alpaca-gpt4"
    assert registry("datasets").get("vicgalle/alpaca-gpt4").name == "AI-ModelScope/alpaca-gpt4-data-en"
    assert registry("datasets").get("AI-ModelScope/alpaca-gpt4-data-zh").hub_id == "llm-wizard/alpaca-gpt4-data-zh"


def _hub_cache(root, repo_id: str, files: dict[str, str]) -> str:
    """A dataset in the Hugging Face hub cache layout: datasets--org--name/{refs/main, snapshots/<sha>/…}."""
    sha = "0123456789abcdef0123456789abcdef01234567"
    repo = root / ("datasets--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(sha)
    for name, text in files.items():
        path = repo / "snapshots" / sha / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(root)


def _infer(tiny_model_path, tmp_path, dataset: str, *flags: str, **env: str) -> subprocess.CompletedProcess:
    out = tmp_path / "result.jsonl"
    inherited = {k: v for k, v in os.environ.items() if k != "USE_HF"}
    run_env = {**inherited, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "home"), **env}
    return subprocess.run(
        [sys.executable, "-m", "swift.cli.main", "infer", "--model", str(tiny_model_path), "--val_dataset", dataset,
         "--max_new_tokens", "2", "--result_path", str(out), *flags],
        capture_output=True, text=True, timeout=300, env=run_env,
    )  # fmt: skip


def test_offline_a_cached_hugging_face_copy_is_read(tiny_model_path, tmp_path):
    rows = "".join(json.dumps(r) + "\n" for r in ALPACA)
    cache = _hub_cache(tmp_path / "hub", "vicgalle/alpaca-gpt4", {"data/train.jsonl": rows})
    run = _infer(
        tiny_model_path, tmp_path, "AI-ModelScope/alpaca-gpt4-data-en#2", "--use_hf", "true", HF_HUB_CACHE=cache
    )
    assert run.returncode == 0, run.stderr[-2000:]
    results = [json.loads(line) for line in (tmp_path / "result.jsonl").read_text().splitlines()]
    assert len(results) == 2
    assert {r["labels"] for r in results} <= {r["output"] for r in ALPACA}


def test_use_hf_from_the_environment(tiny_model_path, tmp_path):
    cache = _hub_cache(tmp_path / "hub", "vicgalle/alpaca-gpt4", {"data/train.jsonl": json.dumps(ALPACA[0]) + "\n"})
    run = _infer(tiny_model_path, tmp_path, "AI-ModelScope/alpaca-gpt4-data-en", HF_HUB_CACHE=cache, USE_HF="1")
    assert run.returncode == 0, run.stderr[-2000:]
    # without the switch the id is ModelScope's, whose cache (empty here) is all an offline run reads
    run = _infer(tiny_model_path, tmp_path, "AI-ModelScope/alpaca-gpt4-data-en", HF_HUB_CACHE=cache,
                 MODELSCOPE_CACHE=str(tmp_path / "ms-empty"))  # fmt: skip
    assert run.returncode == 2 and "from ModelScope" in run.stderr and "--use_hf true" in run.stderr


def test_column_renames_make_a_known_layout(tiny_model_path, tmp_path):
    row = {"question": "How many rows?", "context": "CREATE TABLE t (x INT)", "answer": "SELECT COUNT(*) FROM t"}
    cache = _hub_cache(tmp_path / "hub", "b-mc2/sql-create-context", {"train.jsonl": json.dumps(row) + "\n"})
    run = _infer(tiny_model_path, tmp_path, "AI-ModelScope/sql-create-context", "--use_hf", "true", HF_HUB_CACHE=cache)
    assert run.returncode == 0, run.stderr[-2000:]
    [result] = [json.loads(line) for line in (tmp_path / "result.jsonl").read_text().splitlines()]
    assert result["labels"] == row["answer"]
    assert row["question"] in result["messages"][0]["content"] and row["context"] in result["messages"][0]["content"]


def test_offline_and_not_cached_is_a_usage_error_naming_both_ids(tiny_model_path, tmp_path):
    started = time.monotonic()
    run = _infer(
        tiny_model_path, tmp_path, "AI-ModelScope/alpaca-gpt4-data-zh#5", "--use_hf", "true",
        HF_HUB_CACHE=str(tmp_path / "empty"),
    )  # fmt: skip
    assert run.returncode == 2
    assert "AI-ModelScope/alpaca-gpt4-data-zh" in run.stderr and "llm-wizard/alpaca-gpt4-data-zh" in run.stderr
    assert "offline" in run.stderr
    assert time.monotonic() - started < 60  # no network retries: the cache is all that is read


@pytest.fixture
def cached_alpaca_run(tiny_model_path, tmp_path):
    """``run(*flags)`` → stderr of ``swift infer`` on the cached Hugging Face copy of alpaca-gpt4 (one HF_HOME)."""
    rows = "".join(json.dumps(r) + "\n" for r in ALPACA)
    cache = _hub_cache(tmp_path / "hub", "vicgalle/alpaca-gpt4", {"data/train.jsonl": rows})

    def run(*flags: str) -> str:
        done = _infer(tiny_model_path, tmp_path, "AI-ModelScope/alpaca-gpt4-data-en#2", "--use_hf", "true", *flags,
                      HF_HUB_CACHE=cache)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stderr

    return run


def test_force_redownload_prepares_the_dataset_again(cached_alpaca_run):
    run = cached_alpaca_run
    assert "Generating train split" in run()  # first use: prepared from the hub files
    assert "Generating train split" not in run()  # reuse_dataset_if_exists (the default)
    assert "Generating train split" in run("--download_mode", "force_redownload")


def test_load_from_cache_file_reuses_the_preprocessed_rows(cached_alpaca_run):
    run = cached_alpaca_run
    preprocessing = "Preprocessing AI-ModelScope/alpaca-gpt4-data-en"
    assert preprocessing in run("--load_from_cache_file", "true")  # nothing cached yet
    assert preprocessing not in run("--load_from_cache_file", "true")  # the rows of the first run
    assert preprocessing in run()  # the default (false) preprocesses again
