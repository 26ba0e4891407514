"""`swift merge-lora` / `swift export --merge_lora true`: merged weights that plain transformers loads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch

from swift.arguments import TrainArguments, save_args


def _load_plain(folder: Path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(folder)


def test_merge_lora_cli_writes_checkpoint_merged_with_the_logits_of_base_plus_adapter(
    swift_cli, checkpoint, tiny_model_path, logits, tmp_path
):
    result = swift_cli("merge-lora", "--ckpt_dir", str(checkpoint), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    merged = Path(f"{checkpoint}-merged")
    assert f"saved to {merged}" in result.stderr
    for name in (
        "config.json",
        "generation_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "model.safetensors",
        "args.json",
    ):
        assert (merged / name).is_file(), name
    assert not (merged / "adapter_config.json").exists()
    recorded = json.loads((merged / "args.json").read_text())
    assert recorded["merge_lora"] is True
    assert recorded["adapters"] == [str(checkpoint)]
    assert recorded["model"] == str(tiny_model_path)
    plain = _load_plain(merged)
    assert "lora" not in " ".join(n for n, _ in plain.named_parameters())
    expected = logits.reference(str(tiny_model_path), checkpoint)
    torch.testing.assert_close(logits.of(plain), expected, atol=1e-4, rtol=1e-4)
    base = logits.of(_load_plain(Path(tiny_model_path)))
    assert not torch.allclose(base, expected, atol=1e-3)  # the adapter really changed the model


def test_export_merge_lora_cli_with_small_shards_writes_an_index_and_loadable_shards(
    swift_cli, checkpoint, tiny_model_path, logits, tmp_path
):
    out = tmp_path / "merged-sharded"
    result = swift_cli(
        "export",
        "--ckpt_dir",
        str(checkpoint),
        "--merge_lora",
        "true",
        "--max_shard_size",
        "100KB",
        "--output_dir",
        str(out),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    index = json.loads((out / "model.safetensors.index.json").read_text())
    shards = sorted({name for name in index["weight_map"].values()})
    assert len(shards) > 1
    assert sorted(p.name for p in out.glob("model-*.safetensors")) == shards
    assert not (out / "model.safetensors").exists()
    torch.testing.assert_close(
        logits.of(_load_plain(out)), logits.reference(str(tiny_model_path), checkpoint), atol=1e-4, rtol=1e-4
    )
    assert not Path(f"{checkpoint}-merged").exists()  # --output_dir replaces the default


def test_an_existing_output_folder_is_not_overwritten(run_swift, checkpoint):
    merged = Path(f"{checkpoint}-merged")
    merged.mkdir()
    (merged / "notes.txt").write_text("keep me")
    code, _, err = run_swift("merge-lora", "--ckpt_dir", str(checkpoint))
    assert code == 2
    assert f"{merged} already exists and is not empty" in err and "--exist_ok true" in err
    assert [p.name for p in merged.iterdir()] == ["notes.txt"]


def test_exist_ok_writes_into_an_existing_folder(run_swift, checkpoint):
    merged = Path(f"{checkpoint}-merged")
    merged.mkdir()
    (merged / "notes.txt").write_text("keep me")
    code, _, err = run_swift("merge-lora", "--ckpt_dir", str(checkpoint), "--exist_ok", "true")
    assert code == 0, err
    assert (merged / "config.json").is_file() and (merged / "notes.txt").read_text() == "keep me"


def test_several_adapters_are_merged_one_after_the_other(
    run_swift, checkpoint, tiny_model_path, logits, lora_factory, tmp_path
):
    second = lora_factory(str(tiny_model_path), tmp_path / "second", seed=9, targets=["k_proj", "o_proj"])
    out = tmp_path / "both"
    code, _, err = run_swift(
        "export", "--adapters", str(checkpoint), str(second), "--merge_lora", "true", "--output_dir", str(out)
    )
    assert code == 0, err
    recorded = json.loads((out / "args.json").read_text())
    assert recorded["adapters"] == [str(checkpoint), str(second)]
    torch.testing.assert_close(
        logits.of(_load_plain(out)), logits.reference(str(tiny_model_path), checkpoint, second), atol=1e-4, rtol=1e-4
    )


def test_a_full_weight_checkpoint_has_nothing_to_merge(run_swift, tmp_path, tiny_model_path):
    full = tmp_path / "full-run" / "checkpoint-2"
    shutil.copytree(tiny_model_path, full)
    save_args(TrainArguments(model=str(tiny_model_path), train_type="full"), str(full.parent))
    code, _, err = run_swift("merge-lora", "--ckpt_dir", str(full))
    assert code == 2
    assert "nothing to merge" in err and "holds full weights" in err
    assert not Path(f"{full}-merged").exists()


def test_an_adapter_without_its_run_args_needs_the_base_model(run_swift, checkpoint, tmp_path):
    lonely = tmp_path / "lonely-adapter"
    shutil.copytree(checkpoint, lonely)
    code, _, err = run_swift("merge-lora", "--ckpt_dir", str(lonely))
    assert code == 2
    assert "Pass the base model with --model" in err


def test_python_api_merges_like_the_cli(swift_kernel, checkpoint, tiny_model_path, logits):
    from swift.llm import ExportArguments, export_main

    result = export_main(ExportArguments(ckpt_dir=str(checkpoint), merge_lora=True))
    merged = Path(f"{checkpoint}-merged")
    assert result["merged_dir"] == result["output_dir"] == str(merged)
    torch.testing.assert_close(
        logits.of(_load_plain(merged)), logits.reference(str(tiny_model_path), checkpoint), atol=1e-4, rtol=1e-4
    )
