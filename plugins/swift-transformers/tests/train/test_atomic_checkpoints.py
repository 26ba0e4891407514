"""A checkpoint is complete or absent: ``kill -9`` while ``swift sft`` writes checkpoints, again and again.

Every kill lands while a checkpoint is being written (the test waits for the staging
folder to appear). After each one, every ``checkpoint-N`` must be whole, and the next
run resumes from the last of them; at the end a run without kills finishes from there.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from swift.services import checkpoint_missing
from swift_sdk.cli import swift_command

KILLS = 10


def _runs(output: Path) -> list[Path]:
    """The run folders (``v0-…``, ``v1-…``), oldest first: a run killed before its first checkpoint is redone anew."""
    runs = [p for p in output.iterdir() if p.is_dir()] if output.exists() else []
    return sorted(runs, key=lambda p: int(p.name.split("-")[0][1:]))


def _run_dir(output: Path) -> Path | None:
    runs = _runs(output)
    return runs[-1] if runs else None


def _checkpoints(run_dir: Path) -> list[Path]:
    found = [p for p in run_dir.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]))


def _writing(run_dir: Path, since: float) -> set[str]:
    """The checkpoints this run is writing now (a staging folder a killed run left is older)."""
    try:
        return {p.name for p in run_dir.glob(".staging-checkpoint-*/checkpoint-*") if p.stat().st_mtime > since}
    except FileNotFoundError:  # renamed while we looked
        return set()


def _assert_complete(checkpoint: Path) -> None:
    assert checkpoint_missing(str(checkpoint), resume=True) == [], checkpoint
    for name in ("optimizer.pt", "scheduler.pt", "args.json", "trainer_state.json"):
        assert (checkpoint / name).is_file(), (checkpoint, name)
    state = json.loads((checkpoint / "trainer_state.json").read_text())
    assert state["global_step"] == int(checkpoint.name.split("-")[-1])
    json.loads((checkpoint / "args.json").read_text())


def _sft(model: str, data: str, output: Path, max_steps: int, resume: Path | None) -> list[str]:
    argv = [
        *swift_command(), "sft", "--model", model, "--dataset", data, "--output_dir", str(output),
        "--max_steps", str(max_steps), "--save_steps", "1", "--logging_steps", "1",
        "--per_device_train_batch_size", "2", "--learning_rate", "5e-3", "--lora_dropout", "0",
        "--split_dataset_ratio", "0", "--report_to", "none", "--save_total_limit", "3",
    ]  # fmt: skip
    if resume is not None:
        argv += ["--resume_from_checkpoint", str(resume)]
    return argv


@pytest.mark.slow
def test_kill_9_during_checkpoint_writes_never_leaves_an_incomplete_checkpoint(tiny_model_dir, chat_file, tmp_path):
    rng = random.Random(0)
    output = tmp_path / "output"
    env = {**os.environ, "SWIFT_PLUGINS_STRICT": "1", "OMP_NUM_THREADS": "1"}
    resume, kills = None, 0
    while kills < KILLS:
        log = (tmp_path / f"run-{kills}.log").open("w")
        launched = time.time()
        proc = subprocess.Popen(_sft(tiny_model_dir, chat_file, output, 1000, resume), stdout=log, stderr=log, env=env)
        deadline = time.monotonic() + 300
        try:
            # let a few checkpoints of this run complete, then kill it at a random moment of writing one
            writes, seen = rng.randint(1, 3), set()
            while time.monotonic() < deadline and proc.poll() is None:
                run = _run_dir(output)
                seen |= _writing(run, since=launched) if run is not None else set()
                if len(seen) >= writes:
                    time.sleep(rng.uniform(0, 0.03))
                    proc.send_signal(signal.SIGKILL)
                    break
                time.sleep(0.002)
            proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
        assert proc.returncode == -signal.SIGKILL, (tmp_path / f"run-{kills}.log").read_text()[-3000:]
        kills += 1
        for run in _runs(output):
            for checkpoint in _checkpoints(run):
                _assert_complete(checkpoint)
        if _checkpoints(_run_dir(output)):
            resume = _checkpoints(_run_dir(output))[-1]

    assert resume is not None, "no checkpoint was ever completed between the kills"
    last = int(resume.name.split("-")[-1])
    done = subprocess.run(
        _sft(tiny_model_dir, chat_file, output, last + 2, resume), env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run = _run_dir(output)
    assert [p.name for p in _checkpoints(run)][-1] == f"checkpoint-{last + 2}"
    for checkpoint in _checkpoints(run):
        _assert_complete(checkpoint)
    assert not list(run.glob(".staging-*"))  # the final run cleaned what the kills left on its steps
    logs = [json.loads(line) for line in (run / "logging.jsonl").read_text().splitlines() if line]
    steps = [r["global_step"] for r in logs if "loss" in r]
    assert steps[-2:] == [last + 1, last + 2]  # it went on from the last complete checkpoint


def test_infer_on_an_adapter_folder_without_weights_names_what_is_missing(tiny_model_dir, tmp_path):
    from swift_sdk.cli import run_swift

    broken = tmp_path / "checkpoint-3"
    broken.mkdir()
    (broken / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "base_model_name_or_path": "x"}))

    started = time.monotonic()
    done = run_swift("infer", "--model", tiny_model_dir, "--adapters", str(broken), cwd=tmp_path)

    assert done.returncode == 2, done.stderr[-2000:]
    assert "lacks adapter weights (adapter_model.safetensors)" in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 60


def test_rotation_keeps_the_newest_and_the_best_and_deletes_by_renaming(tmp_path):
    from swift_transformers.train.checkpoints import checkpoints, rotate

    for step in (1, 2, 3, 10, 20):
        (tmp_path / f"checkpoint-{step}").mkdir()
        (tmp_path / f"checkpoint-{step}" / "model.safetensors").write_bytes(b"x")
    (tmp_path / "checkpoint-notes").mkdir()  # not a checkpoint: never touched

    rotate(str(tmp_path), 2, best=str(tmp_path / "checkpoint-2"))

    assert [p.rsplit("/", 1)[-1] for p in checkpoints(str(tmp_path))] == ["checkpoint-2", "checkpoint-20"]
    assert (tmp_path / "checkpoint-notes").is_dir()
    assert not list(tmp_path.glob(".staging-*"))


def test_recover_puts_back_a_checkpoint_whose_replacement_never_arrived_and_drops_deletions(tmp_path):
    from swift_transformers.train.checkpoints import recover

    (tmp_path / ".staging-replaced-checkpoint-4").mkdir()  # killed between the two renames of a re-save
    (tmp_path / ".staging-replaced-checkpoint-5").mkdir()  # killed after the new checkpoint-5 was in place
    (tmp_path / "checkpoint-5").mkdir()
    (tmp_path / ".staging-deleting-checkpoint-1").mkdir()  # killed during rotation

    recover(str(tmp_path))

    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-4", "checkpoint-5"]
