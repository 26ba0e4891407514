"""``swift template check``: swift's template against the model's own chat template, token by token."""

from __future__ import annotations

import json

import pytest

from swift.cli.main import main
from swift.template import get_template
from swift.template.check import check_template


@pytest.fixture(scope="module")
def tiny_chatml_model(tmp_path_factory) -> str:
    """A tiny checkpoint (model type qwen3) whose tokenizer ships a ChatML chat template."""
    from swift_sdk.tiny import build_tiny_model

    return str(build_tiny_model(tmp_path_factory.mktemp("check") / "tiny"))


def test_the_right_template_passes(tiny_chatml_model, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["template", "check", "--model", tiny_chatml_model, "--template", "chatml"]) == 0
    out = capsys.readouterr().out
    assert "0 of 10 conversations differ" in out and "prompt+system      prompt   same" in out
    # a ChatML template without a tool format: the tool conversations are skipped, not failed
    assert "tools              trained  skipped (the model's template has no tool format)" in out


def test_a_wrong_template_fails_showing_the_first_differing_tokens(tiny_chatml_model, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["template", "check", "--model", tiny_chatml_model, "--template", "llama3"]) == 1
    out = capsys.readouterr().out
    assert "DIFFERENT" in out and "first difference at token 0" in out
    assert "model's template: '<|im_start|>'" in out and "swift's template: '<|start_header_id|>'" in out


def test_the_model_types_default_template_is_checked_and_json_lists_the_ids(tiny_chatml_model, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # the tiny checkpoint is a qwen3 model with a plain ChatML template: Qwen3's <think> block differs
    assert main(["template", "check", "--model", tiny_chatml_model, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["template"] == "qwen3"
    trained = [r for r in report["results"] if r["part"] == "trained" and r["conversation"] != "tools"]
    assert trained and not any(r["ok"] for r in trained if r["conversation"] != "thinking")
    assert all(r["ok"] for r in report["results"] if r["part"] == "prompt")


@pytest.mark.parametrize("argv", [["template", "check"], ["template", "verify", "--model", "x"]])
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err


def test_glm4s_trained_user_token_is_reported_as_deliberate(family_tokenizer):
    tokenizer = family_tokenizer("glm4")
    results = check_template(get_template("glm4", tokenizer), tokenizer)

    trained = [r for r in results if r.part == "trained" and not r.error]
    assert trained and all(not r.equal and r.deliberate and r.ok for r in trained)
    assert "'<|user|>' after the final reply" in trained[0].deliberate
    assert all(r.equal for r in results if r.part == "prompt")


@pytest.mark.parametrize("name", ["llama3", "mistral_v1", "yi", "phi4"])
def test_every_checked_conversation_matches_for_a_family_with_its_published_template(name, family_tokenizer):
    tokenizer = family_tokenizer(name)
    assert all(r.equal for r in check_template(get_template(name, tokenizer), tokenizer))


def test_tool_conversations_match_the_published_qwen_template_and_another_tools_prompt_differs(family_tokenizer):
    tokenizer = family_tokenizer("qwen2_5")
    results = {r.name: r for r in check_template(get_template("qwen2_5", tokenizer), tokenizer)}
    assert results["tools"].equal and results["tools-prompt"].equal
    assert all(r.ok for r in results.values())

    react = {r.name: r for r in check_template(get_template("qwen2_5", tokenizer, tools_prompt="react_en"), tokenizer)}
    assert not react["tools"].ok and not react["tools-prompt"].ok
    assert react["plain"].equal  # conversations without tools are unaffected


def test_mistral_nemo_passes_with_its_system_prompt_difference_reported(family_tokenizer):
    tokenizer = family_tokenizer("mistral_nemo")
    results = {r.name: r for r in check_template(get_template("mistral_nemo", tokenizer), tokenizer)}
    assert all(r.ok for r in results.values())
    assert results["tools"].equal and results["tools-prompt"].equal  # tool calls, ids and results as published
    assert results["plain"].equal and results["prompt+system"].equal
    # trained conversations with a system prompt: the published Jinja drops it, swift keeps it
    assert not results["system"].equal and "mistral-common" in results["system"].deliberate
