"""`swift export --push_to_hub`: goes through huggingface_hub; offline it fails clearly, naming the repo."""

from __future__ import annotations


def test_push_to_hub_offline_fails_naming_the_repository(run_swift, checkpoint, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MODELSCOPE_API_TOKEN", "ms-test")  # credentials present: the hub is what is missing
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
    assert "could not push" in err and "ModelScope repository 'acme/tiny-lora'" in err and str(checkpoint) in err
    assert "offline mode is enabled" in err


def test_merge_then_push_offline_keeps_the_merged_model(run_swift, checkpoint, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_TOKEN", "hf_test")
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
        "--use_hf",
        "true",
    )
    assert code == 1
    assert f"could not push {out} to the Hugging Face repository 'acme/tiny'" in err
    assert (out / "config.json").is_file()


def test_push_to_hub_needs_a_repository_id(run_swift, checkpoint):
    code, _, err = run_swift("export", "--ckpt_dir", str(checkpoint), "--push_to_hub", "true")
    assert code == 2
    assert "--push_to_hub needs --hub_model_id" in err


def _push(swift_cli, checkpoint, hub, tmp_path, *flags: str, token: str | None = "hf_pushtoken", **env: str):
    """``swift export --ckpt_dir … --push_to_hub true --hub_model_id acme/tiny-lora <flags>`` against ``hub``.

    The token travels in the environment, never on the command line; HF_HOME is empty so no saved
    login of this machine is used.
    """
    hub_env = {"HF_ENDPOINT": hub.endpoint, "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path / "hf-home")}
    argv = ("--ckpt_dir", str(checkpoint), "--push_to_hub", "true", "--hub_model_id", "acme/tiny-lora")
    return swift_cli("export", *argv, *flags, cwd=tmp_path, env={**hub_env, "HF_TOKEN": token or "", **env})


def _folder_files(folder) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_push_creates_a_private_repository_with_the_commit_message(swift_cli, checkpoint, fake_hub, tmp_path):
    flags = ("--use_hf", "true", "--hub_private_repo", "true", "--commit_message", "LoRA after 4 steps")
    done = _push(swift_cli, checkpoint, fake_hub, tmp_path, *flags)
    assert done.returncode == 0, done.stderr
    assert fake_hub.repos == {"acme/tiny-lora": "private"}
    [commit] = fake_hub.commits
    assert commit["repo"] == "acme/tiny-lora" and commit["summary"] == "LoRA after 4 steps"
    assert commit["token"] == "hf_pushtoken"
    assert commit["files"] == _folder_files(checkpoint)  # every file, byte for byte
    assert "adapter_model.safetensors" in commit["files"]
    assert f"{fake_hub.endpoint}/acme/tiny-lora/commit/" in done.stderr


def test_push_defaults_to_a_public_repository_and_the_reference_commit_message(
    swift_cli, checkpoint, fake_hub, tmp_path
):
    done = _push(swift_cli, checkpoint, fake_hub, tmp_path, USE_HF="1")
    assert done.returncode == 0, done.stderr
    assert fake_hub.repos == {"acme/tiny-lora": "public"}
    assert [c["summary"] for c in fake_hub.commits] == ["update files"]


def test_push_without_credentials_is_refused_before_contacting_the_hub(swift_cli, checkpoint, fake_hub, tmp_path):
    done = _push(swift_cli, checkpoint, fake_hub, tmp_path, "--use_hf", "true", token=None)
    assert done.returncode == 2
    assert "no hub credentials" in done.stderr and "HF_TOKEN" in done.stderr
    assert not [r for r in fake_hub.requests if r.startswith("POST")]
    assert fake_hub.repos == {} and fake_hub.commits == []
