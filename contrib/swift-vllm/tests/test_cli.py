"""``swift infer --infer_backend vllm`` from the command line, with the plugin's flags."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def swift(*argv: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "swift.cli.main", *argv],
        capture_output=True, text=True, timeout=timeout, env={**os.environ},
    )  # fmt: skip


def test_infer_help_shows_the_vllm_group_with_the_seed_defaults():
    result = swift("infer", "--help")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("vLLM: engine settings" in line for line in lines)
    for flag, default in (
        ("--gpu_memory_utilization", "0.9"),
        ("--tensor_parallel_size", "1"),
        ("--max_num_seqs", "256"),
        ("--disable_custom_all_reduce", "True"),
        ("--enforce_eager", "False"),
        ("--vllm_max_lora_rank", "16"),
    ):
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(flag + " "))
        assert f"[default: {default}]" in lines[at + 1], lines[at : at + 2]


def test_swift_infer_over_a_dataset_writes_the_transformers_answers(model_dir, pt_engine, tmp_path):
    from swift.protocol import InferRequest, RequestConfig

    questions = ["hello", "What is the weather today in the city?"]
    data = tmp_path / "val.jsonl"
    data.write_text("".join(json.dumps({"messages": [{"role": "user", "content": q}]}) + "\n" for q in questions))
    out = tmp_path / "result.jsonl"

    result = swift(
        "infer", "--model", model_dir, "--infer_backend", "vllm", "--val_dataset", str(data),
        "--max_new_tokens", "8", "--temperature", "0", "--result_path", str(out),
        "--enforce_eager", "true", "--max_model_len", "1024", "--max_num_seqs", "16",
        "--gpu_memory_utilization", "0.5",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    written = [json.loads(line)["response"] for line in out.read_text().splitlines()]
    expected = pt_engine.infer(
        [InferRequest(messages=[{"role": "user", "content": q}]) for q in questions],
        RequestConfig(max_tokens=8, temperature=0),
    )
    assert written == [r.choices[0].message.content for r in expected]
