"""``swift sft`` / ``swift pt`` as users run them: subprocesses, Python API, torchrun."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch


def _only_run_dir(output: Path) -> Path:
    runs = sorted(output.iterdir())
    assert len(runs) == 1, f"expected one run folder, found {[p.name for p in runs]}"
    return runs[0]


def _log_lines(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "logging.jsonl").read_text().splitlines()]


def test_swift_sft_writes_a_checkpoint_that_swift_infer_restores(run_swift, tiny_model_path, chat_file, tmp_path):
    output = tmp_path / "out"
    proc = run_swift(
        "sft",
        "--model",
        str(tiny_model_path),
        "--dataset",
        f"{chat_file}#20",
        "--max_steps",
        "3",
        "--output_dir",
        str(output),
        "--split_dataset_ratio",
        "0",
    )

    assert proc.returncode == 0, proc.stderr[-3000:]
    run_dir = _only_run_dir(output)
    checkpoint = run_dir / "checkpoint-3"
    assert (checkpoint / "adapter_model.safetensors").is_file() and (checkpoint / "args.json").is_file()
    assert f"swift infer --adapters {checkpoint}" in proc.stdout
    assert any("loss" in r for r in _log_lines(run_dir))

    # the checkpoint alone is enough: base model and template come from its args.json
    question = tmp_path / "question.jsonl"
    question.write_text(json.dumps({"messages": [{"role": "user", "content": "what is 2 plus 3?"}]}))
    results = tmp_path / "results.jsonl"
    proc = run_swift(
        "infer",
        "--ckpt_dir",
        str(checkpoint),
        "--val_dataset",
        str(question),
        "--max_new_tokens",
        "4",
        "--result_path",
        str(results),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(results.read_text().splitlines()) == 1


@pytest.mark.parametrize("kind", ["txt", "jsonl"])
def test_swift_pt_trains_on_plain_text(run_swift, tiny_model_path, text_files, tmp_path, kind):
    output = tmp_path / "out"
    proc = run_swift(
        "pt",
        "--model",
        str(tiny_model_path),
        "--dataset",
        text_files[kind],
        "--max_steps",
        "2",
        "--output_dir",
        str(output),
        "--split_dataset_ratio",
        "0",
        "--logging_steps",
        "1",
    )

    assert proc.returncode == 0, proc.stderr[-3000:]
    run_dir = _only_run_dir(output)
    assert (run_dir / "checkpoint-2" / "adapter_model.safetensors").is_file()
    assert json.loads((run_dir / "args.json").read_text())["use_chat_template"] is False
    assert [r["global_step"] for r in _log_lines(run_dir) if "loss" in r] == [1, 2]


def test_swift_sft_reports_a_bad_flag_without_a_traceback(run_swift, tiny_model_path, chat_file):
    proc = run_swift("sft", "--model", str(tiny_model_path), "--dataset", chat_file, "--max_step", "3")

    assert proc.returncode == 2
    assert "max_steps" in proc.stderr and "Traceback" not in proc.stderr


def test_sft_main_from_python(tiny_model_path, chat_file, tmp_path):
    from swift.llm import TrainArguments, sft_main

    result = sft_main(
        TrainArguments(
            model=str(tiny_model_path),
            dataset=[f"{chat_file}#8"],
            max_steps=2,
            output_dir=str(tmp_path / "py"),
            split_dataset_ratio=0.0,
        )
    )

    assert result["global_step"] == 2
    assert Path(result["last_model_checkpoint"]).name == "checkpoint-2"
    assert Path(result["output_dir"]).parent == tmp_path / "py"


def test_torchrun_with_two_cpu_processes_writes_one_run(run_swift, tiny_model_path, chat_file, tmp_path, port):
    output = tmp_path / "ddp"
    proc = run_swift(
        "sft",
        "--model",
        str(tiny_model_path),
        "--dataset",
        f"{chat_file}#20",
        "--max_steps",
        "2",
        "--output_dir",
        str(output),
        "--split_dataset_ratio",
        "0",
        "--logging_steps",
        "1",
        env={"NPROC_PER_NODE": "2", "MASTER_PORT": str(port)},
    )

    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "torchrun" in proc.stderr
    run_dir = _only_run_dir(output)
    assert sorted(p.name for p in run_dir.glob("checkpoint-*")) == ["checkpoint-2"]
    # both ranks saved their RNG state into the one checkpoint: two processes really trained
    assert sorted(p.name for p in (run_dir / "checkpoint-2").glob("rng_state_*.pth")) == [
        "rng_state_0.pth",
        "rng_state_1.pth",
    ]
    steps = [r["global_step"] for r in _log_lines(run_dir) if "loss" in r]
    assert steps == [1, 2], "only rank 0 may write logging.jsonl"
    saved = json.loads((run_dir / "args.json").read_text())
    assert saved["output_dir"] == str(run_dir)


def _sp_args(model, chat_file, batch: int, *extra: str) -> list[str]:
    """A 3-step LoRA run on 16 chats, saved at the end: what the sequence-parallel tests compare."""
    return ["--model", str(model), "--dataset", f"{chat_file}#16", "--max_steps", "3", "--logging_steps", "1",
            "--split_dataset_ratio", "0", "--per_device_train_batch_size", str(batch), "--learning_rate", "1e-3",
            "--lora_dropout", "0", "--save_steps", "3", *extra]  # fmt: skip


def _train(run_swift, args: list[str], out, *more: str, ranks: int = 1, port: int = 0):
    """``swift sft`` with ``args`` (on ``ranks`` torchrun processes), checked to succeed."""
    env = {"NPROC_PER_NODE": str(ranks), "MASTER_PORT": str(port)} if ranks > 1 else None
    proc = run_swift("sft", *args, *more, "--output_dir", str(out), env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _assert_trained_alike(reference, other, steps: int) -> None:
    """Two run folders logged the same losses and gradient norms and saved the same adapter."""
    from safetensors.torch import load_file

    runs = [_only_run_dir(reference), _only_run_dir(other)]
    logs = [[r for r in _log_lines(run) if "loss" in r] for run in runs]
    assert len(logs[0]) == len(logs[1]) == steps
    for a, b in zip(*logs):
        assert b["loss"] == pytest.approx(a["loss"], abs=1e-4)
        assert b["grad_norm"] == pytest.approx(a["grad_norm"], rel=1e-3)
    weights = [load_file(str(run / f"checkpoint-{steps}" / "adapter_model.safetensors")) for run in runs]
    for key, tensor in weights[0].items():
        torch.testing.assert_close(weights[1][key], tensor, atol=1e-5, rtol=1e-4, msg=key)


def test_sequence_parallel_over_two_processes_trains_like_one(run_swift, tiny_model_path, chat_file, tmp_path, port):
    args = _sp_args(tiny_model_path, chat_file, 4, "--padding_free", "true")
    _train(run_swift, args, tmp_path / "one")
    two = _train(run_swift, args, tmp_path / "two", "--sequence_parallel_size", "2", ranks=2, port=port)
    assert "sequence parallel: 2 ranks share each padding-free row" in two.stderr
    _assert_trained_alike(tmp_path / "one", tmp_path / "two", steps=3)


@pytest.mark.slow
def test_two_sequence_parallel_groups_train_like_plain_data_parallel(
    run_swift, tiny_model_path, chat_file, tmp_path, port
):
    """4 processes = 2 data-parallel groups of 2 sequence-parallel ranks, against 2 plain data-parallel ones."""
    args = _sp_args(tiny_model_path, chat_file, 2, "--padding_free", "true", "--train_dataloader_shuffle", "false")
    _train(run_swift, args, tmp_path / "plain", ranks=2, port=port)
    _train(run_swift, args, tmp_path / "groups", "--sequence_parallel_size", "2", ranks=4, port=port)
    _assert_trained_alike(tmp_path / "plain", tmp_path / "groups", steps=3)


@pytest.mark.slow
def test_sequence_parallel_splits_packed_rows_and_trains_like_one_process(
    run_swift, tiny_model_path, chat_file, tmp_path, port
):
    """--packing under sequence parallelism: each batch of packed rows becomes one row, split across 2 ranks."""
    args = _sp_args(tiny_model_path, chat_file, 2, "--packing", "true", "--max_length", "128")
    _train(run_swift, args, tmp_path / "one")
    _train(run_swift, args, tmp_path / "two", "--sequence_parallel_size", "2", ranks=2, port=port)
    _assert_trained_alike(tmp_path / "one", tmp_path / "two", steps=3)


def test_sequence_parallel_needs_that_many_processes(run_swift, tiny_model_path, chat_file, tmp_path):
    proc = run_swift("sft", "--model", str(tiny_model_path), "--dataset", chat_file, "--sequence_parallel_size", "2",
                     "--output_dir", str(tmp_path / "out"))  # fmt: skip
    assert proc.returncode == 2
    assert "--sequence_parallel_size 2 needs a multiple of 2 processes: launch with NPROC_PER_NODE=2" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_the_chunked_loss_trains_like_the_models_own_across_two_processes(
    run_swift, tiny_model_path, chat_file, tmp_path, port
):
    common = ["--model", str(tiny_model_path), "--dataset", f"{chat_file}#16", "--max_steps", "3", "--logging_steps", "1",
              "--split_dataset_ratio", "0", "--per_device_train_batch_size", "2", "--learning_rate", "1e-3",
              "--lora_dropout", "0", "--save_steps", "3"]  # fmt: skip
    env = {"NPROC_PER_NODE": "2", "MASTER_PORT": str(port)}
    chunked = run_swift("sft", *common, "--loss_chunk_size", "3", "--output_dir", str(tmp_path / "chunked"), env=env)
    assert chunked.returncode == 0, chunked.stderr[-3000:]
    plain = run_swift("sft", *common, "--loss_chunk_size", "0", "--output_dir", str(tmp_path / "plain"), env=env)
    assert plain.returncode == 0, plain.stderr[-3000:]
    logs = {
        name: [r for r in _log_lines(_only_run_dir(tmp_path / name)) if "loss" in r] for name in ("chunked", "plain")
    }
    assert len(logs["chunked"]) == len(logs["plain"]) == 3
    for a, b in zip(logs["chunked"], logs["plain"]):
        assert a["loss"] == pytest.approx(b["loss"], abs=1e-4) and a["acc"] == pytest.approx(b["acc"], abs=1e-6)
