"""Hub ids: ModelScope by default (ms-swift's rule), Hugging Face with --use_hf; offline runs read each hub's cache.

The caches are laid out as the hub clients write them: ModelScope's ``models/org--name/snapshots/
<revision>`` (modelscope-hub) and its older ``models/org/name`` (modelscope <= 1.37, dots written
``___``), Hugging Face's ``models--org--name/{refs/main,snapshots/<sha>}``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

SHA = "0123456789abcdef0123456789abcdef01234567"
ROW = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}


def _modelscope_cache(root, repo_id: str, model_dir, layout: str) -> str:
    owner, name = repo_id.split("/")
    if layout == "snapshots":
        target = root / "models" / f"{owner}--{name}" / "snapshots" / "master"
    else:  # modelscope <= 1.37
        target = root / "models" / owner / name.replace(".", "___")
    shutil.copytree(model_dir, target)
    return str(root)


def _hf_cache(root, repo_id: str, model_dir) -> str:
    repo = root / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(SHA)
    shutil.copytree(model_dir, repo / "snapshots" / SHA)
    return str(root)


def _swift(tmp_path, *argv: str, **env: str) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if k not in ("USE_HF", "MODELSCOPE_API_TOKEN")}
    run_env = {
        **inherited,
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_CACHE": str(tmp_path / "hf-empty"),
        "MODELSCOPE_CACHE": str(tmp_path / "ms-empty"),
        "MODELSCOPE_HOME": str(tmp_path / "ms-home"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "swift.cli.main", *argv], capture_output=True, text=True, timeout=300, env=run_env
    )


def _infer(tmp_path, model: str, *flags: str, **env: str) -> subprocess.CompletedProcess:
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps(ROW) + "\n")
    out = tmp_path / "result.jsonl"
    argv = ("infer", "--model", model, "--val_dataset", str(data), "--max_new_tokens", "2", "--result_path", str(out))
    return _swift(tmp_path, *argv, *flags, **env)


@pytest.mark.parametrize("layout", ["snapshots", "legacy"])
def test_a_hub_id_is_read_from_the_modelscope_cache_by_default(layout, tiny_model_path, tmp_path):
    cache = _modelscope_cache(tmp_path / "ms", "acme/Tiny-0.5B", tiny_model_path, layout)
    run = _infer(tmp_path, "acme/Tiny-0.5B", MODELSCOPE_CACHE=cache)
    assert run.returncode == 0, run.stderr[-2000:]
    [result] = [json.loads(line) for line in (tmp_path / "result.jsonl").read_text().splitlines()]
    assert result["labels"] == "Hello" and isinstance(result["response"], str)


def test_use_hf_switches_the_hub(tiny_model_path, tmp_path):
    hf_cache = _hf_cache(tmp_path / "hf", "acme/tiny", tiny_model_path)
    started = time.monotonic()
    on_modelscope = _infer(tmp_path, "acme/tiny", HF_HUB_CACHE=hf_cache)
    assert on_modelscope.returncode == 2
    assert "cannot get model 'acme/tiny' from ModelScope" in on_modelscope.stderr
    assert "offline" in on_modelscope.stderr and "--use_hf true" in on_modelscope.stderr
    assert time.monotonic() - started < 60  # the cache is all that is read: no network retries
    assert not (tmp_path / "result.jsonl").exists()
    for switch, env in ((("--use_hf", "true"), {}), ((), {"USE_HF": "1"})):
        run = _infer(tmp_path, "acme/tiny", *switch, HF_HUB_CACHE=hf_cache, **env)
        assert run.returncode == 0, run.stderr[-2000:]


def test_a_named_dataset_is_read_from_the_modelscope_cache(tiny_model_path, tmp_path):
    rows = [{"instruction": f"Say {w}.", "input": "", "output": w} for w in ("red", "green", "blue")]
    folder = tmp_path / "ms" / "datasets" / "AI-ModelScope--alpaca-gpt4-data-en" / "snapshots" / "master"
    folder.mkdir(parents=True)
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "result.jsonl"
    run = _swift(
        tmp_path, "infer", "--model", str(tiny_model_path), "--val_dataset", "AI-ModelScope/alpaca-gpt4-data-en#2",
        "--max_new_tokens", "2", "--result_path", str(out), MODELSCOPE_CACHE=str(tmp_path / "ms"),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    results = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(results) == 2 and {r["labels"] for r in results} <= {"red", "green", "blue"}


def test_pushing_to_modelscope_without_credentials_is_refused(tiny_model_path, tmp_path):
    run = _swift(
        tmp_path, "export", "--model", str(tiny_model_path), "--push_to_hub", "true", "--hub_model_id", "acme/tiny",
    )  # fmt: skip
    assert run.returncode == 2
    assert "no hub credentials" in run.stderr and "ModelScope" in run.stderr and "MODELSCOPE_API_TOKEN" in run.stderr


def test_pushing_from_training_needs_use_hf(tiny_model_path, tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps(ROW) + "\n")
    argv = ("sft", "--model", str(tiny_model_path), "--dataset", str(data), "--output_dir", str(tmp_path / "out"))
    run = _swift(tmp_path, *argv, "--push_to_hub", "true", "--hub_model_id", "acme/tiny")
    assert run.returncode == 2
    assert "--use_hf true" in run.stderr and "swift export" in run.stderr
    assert not (tmp_path / "out").exists()
