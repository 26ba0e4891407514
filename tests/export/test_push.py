"""`swift export --push_to_hub`: goes through huggingface_hub; offline it fails clearly, naming the repo."""

from __future__ import annotations


def test_push_to_hub_offline_fails_naming_the_repository(run_swift, checkpoint, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, _, err = run_swift(
        "export",
        "--ckpt_dir",
        str(checkpoint),
        "--push_to_hub",
        "true",
        "--hub_model_id",
        "acme/tiny-lora",
        "--hub_private_repo",
        "true",
    )
    assert code == 1
    assert "could not push" in err and "'acme/tiny-lora'" in err and str(checkpoint) in err
    assert "offline mode is enabled" in err


def test_merge_then_push_offline_keeps_the_merged_model(run_swift, checkpoint, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "to-push"
    code, _, err = run_swift(
        "export",
        "--ckpt_dir",
        str(checkpoint),
        "--merge_lora",
        "true",
        "--output_dir",
        str(out),
        "--push_to_hub",
        "true",
        "--hub_model_id",
        "acme/tiny",
    )
    assert code == 1
    assert f"could not push {out} to the hub repository 'acme/tiny'" in err
    assert (out / "config.json").is_file()


def test_push_to_hub_needs_a_repository_id(run_swift, checkpoint):
    code, _, err = run_swift("export", "--ckpt_dir", str(checkpoint), "--push_to_hub", "true")
    assert code == 2
    assert "--push_to_hub needs --hub_model_id" in err
