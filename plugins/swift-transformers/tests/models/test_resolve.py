"""``--model`` → a local folder, and the errors a user gets when that is impossible."""

from __future__ import annotations

import pytest
from swift_transformers.models.loading import load_model, resolve_model_dir

from swift.kernel import UsageError


def test_local_directory_is_used_as_is(tiny_model_dir, make_args):
    assert resolve_model_dir(make_args(model=tiny_model_dir)) == tiny_model_dir


@pytest.mark.parametrize(("use_hf", "hub"), [(False, "ModelScope"), (True, "Hugging Face")])
def test_hub_id_offline_says_the_hub_is_unreachable_and_how_to_pass_a_folder(
    use_hf, hub, make_args, monkeypatch, tmp_path
):
    # tests/conftest.py sets HF_HUB_OFFLINE=1 before huggingface_hub is imported.
    monkeypatch.setenv("MODELSCOPE_CACHE", str(tmp_path / "empty"))
    with pytest.raises(UsageError) as info:
        resolve_model_dir(make_args(model="Qwen/Qwen2.5-0.5B-Instruct", use_hf=use_hf))
    message = str(info.value)
    assert f"'Qwen/Qwen2.5-0.5B-Instruct' from {hub}" in message
    assert "offline" in message and "HF_HUB_OFFLINE" in message
    assert "--model /path/to/Qwen2.5-0.5B-Instruct" in message


def test_load_model_with_a_hub_id_offline_fails_before_loading_anything(make_args):
    with pytest.raises(UsageError, match="Qwen/Qwen3-0.6B"):
        load_model(make_args(model="Qwen/Qwen3-0.6B"))


def test_missing_local_path_is_reported_as_a_path(tmp_path, make_args):
    missing = str(tmp_path / "nowhere" / "model")
    with pytest.raises(UsageError, match="no such directory") as info:
        resolve_model_dir(make_args(model=missing))
    assert missing in str(info.value)


def test_a_file_instead_of_a_folder_is_refused(tiny_model_dir, make_args):
    with pytest.raises(UsageError, match="is a file"):
        resolve_model_dir(make_args(model=f"{tiny_model_dir}/config.json"))


def test_model_is_required(make_args):
    with pytest.raises(UsageError, match="--model is required"):
        resolve_model_dir(make_args())
