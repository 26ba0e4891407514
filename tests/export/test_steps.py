"""Which steps `swift export` runs: at least one is needed; compatibility flags say what they do."""

from __future__ import annotations

from pathlib import Path


def test_export_without_a_step_says_what_it_can_do(run_swift, checkpoint):
    code, _, err = run_swift("export", "--ckpt_dir", str(checkpoint))
    assert code == 2
    assert "nothing to export" in err and "--merge_lora true" in err and "--quant_method" in err
    assert not Path(f"{checkpoint}-merged").exists()


def test_to_peft_format_alone_succeeds_because_adapters_already_are_peft(run_swift, checkpoint):
    code, _, err = run_swift("export", "--ckpt_dir", str(checkpoint), "--to_peft_format", "true")
    assert code == 0
    assert "already in PEFT format" in err
    assert not Path(f"{checkpoint}-peft").exists()


def test_to_ollama_is_refused_with_an_alternative(run_swift, checkpoint):
    code, _, err = run_swift("export", "--ckpt_dir", str(checkpoint), "--to_ollama", "true")
    assert code == 2
    assert "--to_ollama is not supported" in err and "--merge_lora" in err
