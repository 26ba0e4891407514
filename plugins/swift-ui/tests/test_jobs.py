"""Jobs on disk: a failed job says why, a stopped one is marked, a new store finds them all."""

from __future__ import annotations

import json
import time

from swift_ui.jobs import JobStore


def wait_state(job, states=("finished", "failed", "stopped", "lost"), timeout=120.0) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if job.state in states:
            return job.state
        time.sleep(0.2)
    raise AssertionError(f"job {job.id} still {job.state}:\n{job.log()}")


def test_a_job_that_fails_while_running_reports_its_error_line(tmp_path):
    broken = tmp_path / "broken-model"
    broken.mkdir()
    (broken / "config.json").write_text('{"model_type": "qwen3", "hidden_size": "large"}')
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}))
    store = JobStore(str(tmp_path / "ui"))
    job = store.start("sft", ["--model", str(broken), "--dataset", str(data), "--output_dir", str(tmp_path / "o")])
    assert wait_state(job) == "failed"
    assert job.exit_code not in (None, 0)
    error = job.error()
    assert error and "Traceback" not in error and ("error" in error.lower()), job.log()
    assert job.log().startswith("$ swift sft --model ")
    # a second store on the same folder (a restarted UI) sees the same job and state
    again = JobStore(str(tmp_path / "ui")).jobs()
    assert [(j.id, j.state, j.command_line) for j in again] == [(job.id, "failed", job.command_line)]


def test_two_jobs_started_in_the_same_second_get_their_own_folders(tmp_path):
    store = JobStore(str(tmp_path / "ui"))
    first = store.start("sft", ["--help"])
    second = store.start("sft", ["--help"])
    assert first.folder != second.folder
    assert wait_state(first) == wait_state(second) == "finished"
    assert "--lora_rank" in first.log()
