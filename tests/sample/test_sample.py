"""`swift sample`: n responses per prompt through the engine, scored and filtered by reward functions."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

GEN = ("--max_new_tokens", "6")


def _by_id(rows: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["id"]].append(row)
    return dict(groups)


def _questions(prompts_file: Path) -> list[str]:
    lines = prompts_file.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["messages"][0]["content"] for line in lines]


def test_sample_cli_writes_num_return_sequences_responses_per_prompt(
    swift_cli, tiny_model_path, prompts_file, tmp_path, read_results
):
    result = swift_cli(
        "sample",
        "--model",
        str(tiny_model_path),
        "--dataset",
        str(prompts_file),
        "--num_return_sequences",
        "3",
        "--output_dir",
        "out",
        "--output_file",
        "s.jsonl",
        *GEN,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    path = tmp_path / "out" / "s.jsonl"
    assert f"wrote 12 responses for 4 prompts to {Path('out') / 's.jsonl'}" in result.stderr
    rows = read_results(path)
    groups = _by_id(rows)
    assert len(rows) == 12 and len(groups) == 4
    assert sorted(len(g) for g in groups.values()) == [3, 3, 3, 3]
    assert {g[0]["messages"][0]["content"] for g in groups.values()} == set(_questions(prompts_file))
    for row in rows:
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
        assert row["solution"] in {"hi", "three", "a bot", "bye"}  # the row's other columns travel along
        assert "score" not in row and "rejected_response" not in row
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_orm_reward_scores_every_kept_response_and_keeps_the_n_best(
    run_swift, tiny_model_path, prompts_file, rewards_plugin, tmp_path, read_results
):
    out = tmp_path / "out"
    code, _, err = run_swift(
        "sample",
        "--model",
        str(tiny_model_path),
        "--dataset",
        str(prompts_file),
        "--external_plugins",
        str(rewards_plugin),
        "--orm_model",
        "length",
        "--num_return_sequences",
        "4",
        "--n_best_to_keep",
        "2",
        "--output_dir",
        str(out),
        "--output_file",
        "r.jsonl",
        *GEN,
    )
    assert code == 0, err
    groups = _by_id(read_results(out / "r.jsonl"))
    assert len(groups) == 4
    for group in groups.values():
        assert 1 <= len(group) <= 2
        scores = [row["orm_score"] for row in group]
        assert scores == sorted(scores, reverse=True)
        for row in group:
            answer = row["messages"][-1]["content"]
            assert row["orm_score"] == len(answer) > 0
            assert row["score"] == 10 * row["orm_score"]
            if "rejected_response" in row:
                assert len(row["rejected_response"]) <= min(scores)


def test_prm_threshold_drops_responses_scored_below_it(
    run_swift, tiny_model_path, prompts_file, rewards_plugin, tmp_path, read_results
):
    out = tmp_path / "out"
    code, _, err = run_swift(
        "sample",
        "--model",
        str(tiny_model_path),
        "--dataset",
        str(prompts_file),
        "--external_plugins",
        str(rewards_plugin),
        "--prm_model",
        "position",
        "--prm_threshold",
        "1.5",
        "--num_return_sequences",
        "4",
        "--n_best_to_keep",
        "4",
        "--output_dir",
        str(out),
        "--output_file",
        "p.jsonl",
        *GEN,
    )
    assert code == 0, err
    groups = _by_id(read_results(out / "p.jsonl"))
    assert len(groups) == 4
    for group in groups.values():  # scores 0, 1, 2, 3: only 3 and 2 are above 1.5, best first
        assert [row["prm_score"] for row in group] == [3.0, 2.0]
        assert all("orm_score" not in row and "rejected_response" in row for row in group)


def test_a_builtin_reward_scores_the_responses(run_swift, tiny_model_path, prompts_file, tmp_path, read_results):
    out = tmp_path / "out"
    code, _, err = run_swift(
        "sample",
        "--model",
        str(tiny_model_path),
        "--dataset",
        str(prompts_file),
        "--prm_model",
        "repetition",
        "--prm_threshold",
        "-2",
        "--num_return_sequences",
        "2",
        "--n_best_to_keep",
        "2",
        "--output_dir",
        str(out),
        "--output_file",
        "b.jsonl",
        *GEN,
    )
    assert code == 0, err
    rows = read_results(out / "b.jsonl")
    assert len(rows) == 8
    assert all(-1.0 <= row["prm_score"] <= 0.0 for row in rows)  # repetition: 0 for varied text, -1 at worst


def test_easy_prompts_are_skipped(run_swift, tiny_model_path, prompts_file, rewards_plugin, tmp_path, read_results):
    out = tmp_path / "out"
    code, _, err = run_swift(
        "sample",
        "--model",
        str(tiny_model_path),
        "--dataset",
        str(prompts_file),
        "--external_plugins",
        str(rewards_plugin),
        "--orm_model",
        "always_one",
        "--easy_query_threshold",
        "0.5",
        "--num_return_sequences",
        "2",
        "--output_dir",
        str(out),
        "--output_file",
        "e.jsonl",
        *GEN,
    )
    assert code == 0, err
    assert read_results(out / "e.jsonl") == []
    assert "wrote 0 responses for 4 prompts" in err


def test_cached_responses_are_reused_without_an_engine(
    run_swift, tiny_model_path, prompts_file, rewards_plugin, tmp_path, read_results
):
    out = tmp_path / "out"
    code, _, err = run_swift(
        "sample",
        "--model",
        str(tiny_model_path),
        "--dataset",
        str(prompts_file),
        "--num_return_sequences",
        "3",
        "--output_dir",
        str(out),
        "--output_file",
        "a.jsonl",
        *GEN,
    )
    assert code == 0, err
    first = _by_id(read_results(out / "a.jsonl"))
    code, _, err = run_swift(
        "sample",
        "--sampler_engine",
        "no",
        "--dataset",
        str(prompts_file),
        "--cache_files",
        str(out / "a.jsonl"),
        "--num_return_sequences",
        "3",
        "--external_plugins",
        str(rewards_plugin),
        "--orm_model",
        "length",
        "--n_best_to_keep",
        "1",
        "--output_dir",
        str(out),
        "--output_file",
        "b.jsonl",
    )
    assert code == 0, err
    assert "loaded model" not in err
    second = _by_id(read_results(out / "b.jsonl"))
    for uid, [best] in second.items():
        cached = [row["messages"][-1]["content"] for row in first[uid]]
        assert best["messages"][-1]["content"] == max(cached, key=len)


def test_no_engine_without_enough_cached_responses_is_an_error(run_swift, prompts_file, tmp_path):
    code, _, err = run_swift(
        "sample",
        "--sampler_engine",
        "no",
        "--dataset",
        str(prompts_file),
        "--num_return_sequences",
        "2",
        "--output_dir",
        str(tmp_path / "out"),
    )
    assert code == 2
    assert "--sampler_engine no: 1 prompt(s) have fewer than 2 responses" in err


def test_data_range_samples_one_shard(run_swift, tiny_model_path, prompts_file, tmp_path, read_results):
    out = tmp_path / "out"
    code, _, err = run_swift(
        "sample",
        "--model",
        str(tiny_model_path),
        "--dataset",
        str(prompts_file),
        "--data_range",
        "1",
        "2",
        "--num_return_sequences",
        "1",
        "--num_sampling_per_gpu_batch_size",
        "2",
        "--output_dir",
        str(out),
        "--output_file",
        "shard.jsonl",
        *GEN,
    )
    assert code == 0, err
    questions = [row["messages"][0]["content"] for row in read_results(out / "shard.jsonl")]
    assert questions == _questions(prompts_file)[2:]


def test_an_existing_result_is_kept_unless_overridden(run_swift, tiny_model_path, prompts_file, tmp_path, read_results):
    out = tmp_path / "out"
    out.mkdir()
    (out / "s.jsonl").write_text("old\n")
    argv = (
        "sample",
        "--model",
        str(tiny_model_path),
        "--dataset",
        str(prompts_file),
        "--num_return_sequences",
        "1",
        "--output_dir",
        str(out),
        "--output_file",
        "s.jsonl",
        *GEN,
    )
    code, _, err = run_swift(*argv)
    assert code == 0 and "pass --override_exist_file true" in err
    assert (out / "s.jsonl").read_text() == "old\n"
    code, _, err = run_swift(*argv, "--override_exist_file", "true")
    assert code == 0, err
    assert len(read_results(out / "s.jsonl")) == 4


def test_default_output_file_is_a_timestamped_jsonl(run_swift, tiny_model_path, prompts_file, tmp_path, read_results):
    out = tmp_path / "out"
    code, _, err = run_swift(
        "sample",
        "--model",
        str(tiny_model_path),
        "--dataset",
        str(prompts_file),
        "--num_return_sequences",
        "2",
        "--output_dir",
        str(out),
        *GEN,
    )
    assert code == 0, err
    [result] = out.glob("*.jsonl")
    assert result.name[:4].isdigit() and len(read_results(result)) == 8


def test_a_misspelled_reward_fails_before_the_model_loads(
    run_swift, tiny_model_path, prompts_file, rewards_plugin, tmp_path
):
    code, _, err = run_swift(
        "sample",
        "--model",
        str(tiny_model_path),
        "--dataset",
        str(prompts_file),
        "--external_plugins",
        str(rewards_plugin),
        "--orm_model",
        "lenght",
        "--output_dir",
        str(tmp_path / "out"),
    )
    assert code == 2
    assert "unknown reward 'lenght'" in err and "Did you mean 'length'?" in err
    assert "loaded model" not in err


def test_num_sampling_per_gpu_batches_limits_the_prompts(
    run_swift, tiny_model_path, prompts_file, tmp_path, read_results
):
    out = tmp_path / "out"
    code, _, err = run_swift(
        "sample",
        "--model",
        str(tiny_model_path),
        "--dataset",
        str(prompts_file),
        "--num_sampling_per_gpu_batch_size",
        "3",
        "--num_sampling_per_gpu_batches",
        "1",
        "--num_return_sequences",
        "2",
        "--output_dir",
        str(out),
        "--output_file",
        "few.jsonl",
        *GEN,
    )
    assert code == 0, err
    questions = [row["messages"][0]["content"] for row in read_results(out / "few.jsonl")]
    assert sorted(set(questions)) == sorted(_questions(prompts_file)[:3]) and len(questions) == 6
    assert "wrote 6 responses for 3 prompts" in err
