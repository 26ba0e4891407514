"""A training run gets its own output folder and never writes into another run's."""

import multiprocessing
import os
import threading
from datetime import datetime

import pytest

from swift.arguments import ArgumentError, TrainArguments, prepare_output_dir

NOW = datetime(2026, 11, 22, 18, 30, 5)


def test_default_folder_is_output_model_name_with_version(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = TrainArguments(model="Qwen/Qwen2.5-0.5B-Instruct")
    path = prepare_output_dir(args, now=NOW)
    assert path == str(tmp_path / "output" / "Qwen2.5-0.5B-Instruct" / "v0-20261122-183005")
    assert os.path.isdir(path)
    assert args.output_dir == path


def test_versions_increment_over_existing_runs(tmp_path):
    (tmp_path / "v0-20250101-000000").mkdir()
    (tmp_path / "v3-20250102-000000").mkdir()
    (tmp_path / "notes").mkdir()
    path = prepare_output_dir(TrainArguments(model="m", output_dir=str(tmp_path)), now=NOW)
    assert os.path.basename(path) == "v4-20261122-183005"


def test_runs_started_in_the_same_second_get_different_folders(tmp_path):
    paths = [prepare_output_dir(TrainArguments(model="m", output_dir=str(tmp_path)), now=NOW) for _ in range(3)]
    assert [os.path.basename(p) for p in paths] == [
        "v0-20261122-183005",
        "v1-20261122-183005",
        "v2-20261122-183005",
    ]


def test_concurrent_threads_never_share_a_folder(tmp_path):
    results: list[str] = []
    barrier = threading.Barrier(8)

    def start_run():
        args = TrainArguments(model="m", output_dir=str(tmp_path))
        barrier.wait()
        results.append(prepare_output_dir(args, now=NOW))

    threads = [threading.Thread(target=start_run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 8


def _start_run_in_process(output_dir, barrier, queue):
    args = TrainArguments(model="m", output_dir=output_dir)
    barrier.wait()
    queue.put(prepare_output_dir(args, now=NOW))


def test_concurrent_processes_never_share_a_folder(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_start_run_in_process, args=(str(tmp_path), barrier, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    paths = {queue.get(timeout=60) for _ in procs}
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert len(paths) == 2


def test_without_version_an_existing_run_is_refused(tmp_path):
    (tmp_path / "args.json").write_text("{}")
    args = TrainArguments(model="m", output_dir=str(tmp_path), add_version=False)
    with pytest.raises(ArgumentError, match="already holds another run"):
        prepare_output_dir(args)


def test_without_version_resuming_inside_the_folder_is_allowed(tmp_path):
    (tmp_path / "checkpoint-10").mkdir()
    args = TrainArguments(
        model="m",
        output_dir=str(tmp_path),
        add_version=False,
        resume_from_checkpoint=str(tmp_path / "checkpoint-10"),
    )
    assert prepare_output_dir(args) == str(tmp_path)


def test_without_version_an_empty_or_new_folder_is_used(tmp_path):
    target = tmp_path / "fresh"
    args = TrainArguments(model="m", output_dir=str(target), add_version=False)
    assert prepare_output_dir(args) == str(target)
    assert target.is_dir()


def test_without_model_or_output_dir_there_is_no_name():
    with pytest.raises(ArgumentError, match="--output_dir or --model"):
        prepare_output_dir(TrainArguments())
