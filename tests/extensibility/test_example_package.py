"""A third-party plugin, installed with pip into a fresh venv, extends swift — and uninstalls cleanly.

contrib/swift-example adds a model type, a chat template, a reward and a tuner through
entry points only. See conftest.py for how the venv is built (heavy libraries shared
with the dev venv, swift's own distributions pip-installed from copies).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "contrib" / "swift-example"
TRL = ROOT / "plugins" / "swift-trl"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(fresh_venv):
    """The fresh venv with swift-example pip-installed (removed again afterwards)."""
    fresh_venv.install(EXAMPLE)
    yield fresh_venv
    if "swift-example" in fresh_venv.distributions():
        fresh_venv.uninstall("swift-example")


def _sft(venv, model: str, data: str, output: Path, *extra: str):
    return venv.run(
        "swift",
        "sft",
        "--model",
        model,
        "--dataset",
        data,
        "--max_steps",
        "2",
        "--output_dir",
        str(output),
        "--split_dataset_ratio",
        "0",
        "--logging_steps",
        "1",
        *extra,
    )


def test_swift_plugins_list_shows_the_installed_example(venv):
    listing = venv.plugins()

    [row] = [p for p in listing["plugins"] if p["distribution"] == "swift-example"]
    assert row["status"] == "active" and row["version"] == "0.1.0"
    assert row["provides"] == {
        "models": ["example-tiny"],
        "rewards": ["example_politeness"],
        "templates": ["example"],
        "tuners": ["example-lora"],
    }
    assert listing["conflicts"] == []


def test_sft_trains_with_its_model_type_template_and_tuner_and_infer_reuses_them(venv, tiny_llama, chats, tmp_path):
    output = tmp_path / "out"
    proc = _sft(
        venv,
        tiny_llama,
        chats,
        output,
        "--model_type",
        "example-tiny",
        "--train_type",
        "example-lora",
    )

    assert proc.returncode == 0, proc.stderr[-3000:]
    [run] = list(output.iterdir())
    checkpoint = run / "checkpoint-2"
    assert (checkpoint / "adapter_model.safetensors").is_file()
    saved = json.loads((run / "args.json").read_text())
    assert (saved["model_type"], saved["template"], saved["train_type"]) == (
        "example-tiny",
        "example",
        "example-lora",
    )
    adapter = json.loads((checkpoint / "adapter_config.json").read_text())
    assert (adapter["r"], adapter["lora_alpha"]) == (4, 8)

    results = tmp_path / "answers.jsonl"
    proc = venv.run(
        "swift",
        "infer",
        "--adapters",
        str(checkpoint),
        "--val_dataset",
        chats,
        "--val_dataset_sample",
        "2",
        "--max_new_tokens",
        "4",
        "--result_path",
        str(results),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "loaded model type 'example-tiny' (template 'example'" in proc.stderr
    assert len(results.read_text().splitlines()) == 2


def test_grpo_scores_completions_with_the_example_reward(venv, tiny_llama, chats, tmp_path):
    if not (TRL / "pyproject.toml").is_file():
        pytest.skip("swift-trl not installed: plugins/swift-trl does not exist in this checkout")
    venv.install(TRL)
    try:
        probe = venv.run("python", "-c", "from swift.kernel import registry; registry('trainers').load('grpo')")
        if probe.returncode != 0:
            pytest.skip(
                f"swift-trl not installed: its grpo trainer does not load yet ({probe.stderr.strip().splitlines()[-1:]})"
            )
        output = tmp_path / "grpo"
        proc = venv.run(
            "swift",
            "rlhf",
            "--rlhf_type",
            "grpo",
            "--model",
            tiny_llama,
            "--model_type",
            "example-tiny",
            "--train_type",
            "example-lora",
            "--dataset",
            chats,
            "--reward_funcs",
            "example_politeness",
            "--num_generations",
            "2",
            "--per_device_train_batch_size",
            "2",
            "--max_completion_length",
            "8",
            "--max_steps",
            "1",
            "--logging_steps",
            "1",
            "--split_dataset_ratio",
            "0",
            "--output_dir",
            str(output),
            "--report_to",
            "none",
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        [run] = list(output.iterdir())
        logged = [json.loads(line) for line in (run / "logging.jsonl").read_text().splitlines()]
        assert any(key.endswith("example_politeness") or "example_politeness" in key for r in logged for key in r), (
            logged
        )
    finally:
        venv.uninstall("swift-trl")


def test_the_example_package_passes_its_own_tests(venv, tmp_path):
    proc = venv.run(
        "python",
        "-m",
        "pytest",
        str(EXAMPLE / "tests"),
        "-q",
        "-p",
        "no:cacheprovider",
        cwd=tmp_path,
    )

    assert proc.returncode == 0, proc.stdout[-4000:]
    assert " passed" in proc.stdout


def test_uninstalling_it_leaves_everything_else_working(venv, tiny_llama, chats, tmp_path):
    venv.uninstall("swift-example")
    try:
        check = venv.run("swift", "plugins", "list", "--check")
        assert check.returncode == 0, check.stdout + check.stderr
        assert "swift-example" not in check.stdout and "transformers" in check.stdout

        gone = _sft(venv, tiny_llama, chats, tmp_path / "gone", "--model_type", "example-tiny")
        assert gone.returncode == 2
        assert "unknown model 'example-tiny'" in gone.stderr and "Traceback" not in gone.stderr

        still = _sft(venv, tiny_llama, chats, tmp_path / "plain")
        assert still.returncode == 0, still.stderr[-3000:]
        assert list((tmp_path / "plain").glob("*/checkpoint-2/adapter_model.safetensors"))
    finally:
        venv.install(EXAMPLE)
