"""Usage errors come first: every name and path a run needs is checked before any work.

Each case runs the real ``swift`` entry in a subprocess and asserts what a user sees:
exit status 2, a message naming the problem (and the closest valid name), no
traceback, no run folder — and, as the proof that nothing was loaded, neither torch
nor transformers imported in that process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

HEAVY = ("torch", "transformers", "peft", "trl", "datasets")
# main() in-process, then report which heavy libraries the process imported
PROGRAM = (
    "import json, sys\n"
    "from swift.cli.main import main\n"
    "try:\n"
    "    rc = main(sys.argv[1:])\n"
    "except SystemExit as exc:\n"
    "    rc = exc.code\n"
    f"print('HEAVY=' + json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)), file=sys.stderr)\n"
    "sys.exit(rc)\n"
)

CASES = {
    "unknown train_type": (["sft", "--train_type", "lorra"], "Did you mean 'lora'"),
    "unknown loss_type": (["sft", "--loss_type", "cross_entropyy"], "Did you mean 'cross_entropy'"),
    "unknown optimizer": (["sft", "--optimizer", "adamw_fancy"], "--optimizer 'adamw_fancy' is not available"),
    "Q-GaLore settings": (["sft", "--use_galore", "true", "--galore_proj_bits", "8"], "Q-GaLore is not supported"),
    "unknown metric": (["sft", "--metric", "bleuu"], "--metric 'bleuu' is not available"),
    "a text metric without generation": (["sft", "--metric", "bleu"], "add --predict_with_generate true"),
    "missing dataset file": (["sft", "--dataset", "./no/such/data.jsonl"], "dataset file or folder not found"),
    "lisa with lora": (["sft", "--train_type", "lora", "--lisa_activated_layers", "2"], "use --train_type full"),
    "unknown template": (["sft", "--template", "qwen25"], "Did you mean 'qwen2_5'"),
    "unknown model_type": (["sft", "--model_type", "qwen25"], "Did you mean 'qwen2_5'"),
    "missing model folder": (["sft", "--model", "./no/such/model"], "no such directory"),
    "unknown rlhf_type": (["rlhf", "--rlhf_type", "dpoo"], "Did you mean 'dpo'"),
    "unknown reward": (["rlhf", "--rlhf_type", "grpo", "--reward_funcs", "accuracyy"], "Did you mean 'accuracy'"),
    "unknown scheduler": (
        ["rlhf", "--rlhf_type", "grpo", "--reward_funcs", "format", "--multi_turn_scheduler", "retry_wrongg"],
        "Did you mean 'retry_wrong'",
    ),
    "grpo without rewards": (["rlhf", "--rlhf_type", "grpo"], "--reward_funcs"),
    "unknown engine": (["infer", "--infer_backend", "vlm"], "'vlm'"),
    "trainer of another command": (["rlhf", "--rlhf_type", "sft"], "belongs to `swift sft`"),
    # this machine has neither liger-kernel nor a GPU: refused before the model loads
    "liger without its package or a GPU": (["sft", "--use_liger", "true"], "--use_liger"),
    "a tuner backend no installed tuner uses": (["sft", "--tuner_backend", "unsloth"], "implemented with peft"),
    "seq_cls without num_labels on a language model": (["sft", "--task_type", "seq_cls"], "needs --num_labels"),
    "classification with packing": (["sft", "--num_labels", "2", "--packing", "true"], "--packing cannot be used"),
    "classification in swift pt": (["pt", "--num_labels", "2"], "classification trains with swift sft"),
    "zero labels": (["sft", "--num_labels", "0"], "--num_labels must be at least 1"),
    "a classifier on another engine": (
        ["infer", "--num_labels", "2", "--infer_backend", "openai", "--base_url", "http://127.0.0.1:9/v1"],
        "served by the pt engine only",
    ),
    "num_labels for a language model": (
        ["sft", "--task_type", "causal_lm", "--num_labels", "3"],
        "is for classification",
    ),
}


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("usage-data") / "chats.jsonl"
    row = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    return str(path)


def _run(argv: list[str], cwd) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "SWIFT_PLUGINS_STRICT": "1", "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", PROGRAM, *argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    return proc, time.perf_counter() - start


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_usage_error_exits_2_before_any_model_loads_or_run_folder_exists(case, tiny_model_path, data_file, tmp_path):
    argv, expected = CASES[case]
    command, *flags = argv
    output = tmp_path / "output"
    defaults = {"--model": str(tiny_model_path), "--dataset": data_file, "--output_dir": str(output)}
    if command == "infer":  # answers on stdin; writes no run folder of its own
        defaults = {"--model": str(tiny_model_path), "--result_path": str(output / "result.jsonl")}
    for flag, value in defaults.items():
        if flag not in flags:
            flags += [flag, value]

    proc, seconds = _run([command, *flags], tmp_path)

    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    heavy = json.loads(proc.stderr.rsplit("HEAVY=", 1)[1])
    assert heavy == [], f"{case}: imported {heavy} before reporting the usage error ({seconds:.2f} s)"
    assert not output.exists(), f"{case}: left {sorted(p.name for p in output.iterdir())} behind"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"] or not any(tmp_path.iterdir())
