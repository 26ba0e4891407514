"""Image flags on the wrong model, and what vision models cannot do yet: exit 2 before anything loads."""

from __future__ import annotations

import sys

import pytest


def _run(argv: list[str], tmp_path, monkeypatch, capsys) -> tuple[int, str]:
    from swift.cli.main import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    try:
        out = (
            ["--result_path", str(tmp_path / "out" / "r.jsonl")]
            if argv[0] == "infer"
            else ["--output_dir", str(tmp_path / "out")]
        )
        rc = main([*argv, *out])
    except SystemExit as exc:
        rc = exc.code
    return rc, capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--max_pixels", "1000000"], "--max_pixels bounds images; model type 'qwen3' is a text model"),
        (["--freeze_vit", "false"], "--freeze_vit choose which parts of a vision-language model train"),
        (["--freeze_llm", "true", "--freeze_aligner", "false"], "drop them"),
    ],
)
def test_image_flags_on_a_text_model_are_refused(
    flags, message, tiny_model_dir, color_dataset, tmp_path, monkeypatch, capsys
):
    loaded = "transformers.models.qwen3" in sys.modules
    rc, err = _run(
        ["sft", "--model", tiny_model_dir, "--dataset", str(color_dataset), *flags], tmp_path, monkeypatch, capsys
    )
    assert rc == 2 and message in err, err
    assert not (tmp_path / "out").exists()
    if not loaded:
        assert "transformers.models.qwen3" not in sys.modules


@pytest.mark.parametrize(
    ("arch", "flags", "message"),
    [
        ("gemma3", ["--packing", "true"], "a packed row does not keep yet"),
        ("qwen2_vl", ["--predict_with_generate", "true"], "evaluation by generation does not pass the images yet"),
    ],
)
def test_what_packing_a_vision_model_cannot_do_is_refused(
    arch, flags, message, qwen2_vl_model, color_dataset, tmp_path, monkeypatch, capsys
):
    from swift_sdk.tiny_vision import build_tiny_vision_model

    model = qwen2_vl_model if arch == "qwen2_vl" else build_tiny_vision_model(tmp_path / arch, arch)
    argv = ["sft", "--model", str(model), "--dataset", str(color_dataset), *flags]
    rc, err = _run(argv, tmp_path, monkeypatch, capsys)
    assert rc == 2 and message in err, err
    assert not (tmp_path / "out").exists()


def test_a_text_model_given_image_rows_stops_with_the_reason(
    tiny_model_dir, color_dataset, tmp_path, monkeypatch, capsys
):
    argv = ["sft", "--model", tiny_model_dir, "--dataset", str(color_dataset), "--max_steps", "1"]
    rc, err = _run(argv, tmp_path, monkeypatch, capsys)
    assert rc == 2 and "template 'qwen3' is for a text-only model" in err, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rlhf", "--rlhf_type", "orpo", "--padding_free", "true"], "keeps padded pairs"),
        (["rlhf", "--rlhf_type", "dpo", "--padding_free", "true"], "keeps padded pairs"),
        (
            ["rlhf", "--rlhf_type", "grpo", "--reward_funcs", "format", "--base_url", "http://127.0.0.1:9/v1"],
            "an OpenAI-compatible server and multi-turn image rollouts are not built",
        ),
        (
            ["infer", "--infer_backend", "openai", "--base_url", "http://127.0.0.1:9/v1"],
            "only the pt and vllm backends",
        ),
    ],
)
def test_what_vision_models_cannot_do_yet_is_refused(
    argv, message, qwen2_vl_model, color_dataset, tmp_path, monkeypatch, capsys
):
    extra = ["--dataset", str(color_dataset)] if argv[0] == "rlhf" else ["--val_dataset", str(color_dataset)]
    rc, err = _run([*argv, "--model", str(qwen2_vl_model), *extra], tmp_path, monkeypatch, capsys)
    assert rc == 2 and message in err, err
    assert not (tmp_path / "out").exists()
