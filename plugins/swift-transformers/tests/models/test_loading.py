"""Loading tiny checkpoints with swift's model flags: what the loaded model looks like."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest
import torch
from swift_transformers.models.loading import check_requirements, load_model

from swift.kernel import ModelRecord, UsageError


def test_default_load_keeps_config_dtype_uses_sdpa_and_runs(tiny_model_dir, make_args):
    model, tokenizer, record = load_model(make_args(model=tiny_model_dir))
    assert record.name == "qwen3"
    assert model.dtype == torch.float32  # what the tiny config declares
    assert model.config._attn_implementation == "sdpa"
    batch = tokenizer(["hello world", "hi"], return_tensors="pt", padding=True)
    assert model(**batch).logits.shape[:2] == batch["input_ids"].shape


def test_torch_dtype_bfloat16_loads_bfloat16_weights(tiny_model_dir, make_args):
    model, _, _ = load_model(make_args(model=tiny_model_dir, torch_dtype="bfloat16"))
    assert {p.dtype for p in model.parameters()} == {torch.bfloat16}


@pytest.mark.parametrize("attn_impl", ["eager", "sdpa"])
def test_attn_impl_reaches_the_model_config(tiny_llama_dir, make_args, attn_impl):
    model, _, _ = load_model(make_args(model=tiny_llama_dir, attn_impl=attn_impl))
    assert model.config._attn_implementation == attn_impl


@pytest.mark.skipif(importlib.util.find_spec("flash_attn") is not None, reason="flash-attn is installed")
def test_flash_attn_without_the_package_says_what_to_install(tiny_llama_dir, make_args):
    with pytest.raises(UsageError, match="flash-attn"):
        load_model(make_args(model=tiny_llama_dir, attn_impl="flash_attn"))


def test_rope_scaling_linear_scales_by_max_length_over_positions(tiny_llama_dir, make_args):
    plain, _, _ = load_model(make_args(model=tiny_llama_dir))
    model, _, _ = load_model(make_args(model=tiny_llama_dir, rope_scaling="linear", max_length=8192))
    assert model.config.rope_parameters["rope_type"] == "linear"
    assert model.config.rope_parameters["factor"] == pytest.approx(8192 / 4096)
    # Linear scaling divides every rotary frequency by the factor.
    torch.testing.assert_close(model.model.rotary_emb.inv_freq * 2, plain.model.rotary_emb.inv_freq)


def test_rope_scaling_is_skipped_when_max_length_fits(tiny_llama_dir, make_args, capsys):
    model, _, _ = load_model(make_args(model=tiny_llama_dir, rope_scaling="dynamic", max_length=1024))
    assert model.config.rope_parameters["rope_type"] == "default"
    assert "does not exceed" in capsys.readouterr().err


def test_rope_scaling_without_max_length_is_a_usage_error(tiny_llama_dir, make_args):
    with pytest.raises(UsageError, match="--max_length"):
        load_model(make_args(model=tiny_llama_dir, rope_scaling="linear"))


def test_model_kwargs_update_the_config_and_override_loading_options(tiny_model_dir, make_args):
    flags = {"use_cache": False, "dtype": "float16"}
    model, _, _ = load_model(make_args(model=tiny_model_dir, model_kwargs=json.dumps(flags)))
    assert model.config.use_cache is False
    assert model.dtype == torch.float16


def test_device_map_json_offloads_modules_and_the_model_still_runs(tiny_model_dir, tmp_path, make_args):
    device_map = {"model": "cpu", "lm_head": "disk"}
    args = make_args(
        model=tiny_model_dir,
        device_map=json.dumps(device_map),
        model_kwargs=json.dumps({"offload_folder": str(tmp_path / "offload")}),
    )
    model, tokenizer, _ = load_model(args)
    assert model.hf_device_map == device_map
    assert model.lm_head.weight.device.type == "meta"  # the weights live on disk until used
    ids = tokenizer("hello", return_tensors="pt")["input_ids"]
    assert model(ids).logits.shape[-1] == model.config.vocab_size


def _copy(src: str, dst: Path, *, skip: tuple[str, ...] = ()) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(*skip))
    return dst


def test_tokenizer_without_pad_token_gets_eos(tiny_model_dir, tmp_path, make_args):
    folder = _copy(tiny_model_dir, tmp_path / "nopad")
    cfg_file = folder / "tokenizer_config.json"
    cfg = json.loads(cfg_file.read_text())
    cfg.pop("pad_token", None)
    cfg_file.write_text(json.dumps(cfg))
    for extra in ("special_tokens_map.json",):
        path = folder / extra
        if path.exists():
            data = json.loads(path.read_text())
            data.pop("pad_token", None)
            path.write_text(json.dumps(data))
    _, tokenizer, _ = load_model(make_args(model=str(folder)))
    assert tokenizer.pad_token == tokenizer.eos_token == "<|im_end|>"


def test_missing_weights_name_the_folder(tiny_model_dir, tmp_path, make_args):
    folder = _copy(tiny_model_dir, tmp_path / "noweights", skip=("*.safetensors",))
    with pytest.raises(UsageError, match="no weight files") as info:
        load_model(make_args(model=str(folder)))
    assert str(folder) in str(info.value)


def test_missing_shard_of_an_index_is_named(tiny_model_dir, tmp_path, make_args):
    folder = _copy(tiny_model_dir, tmp_path / "sharded")
    index = {"metadata": {}, "weight_map": {"lm_head.weight": "model-00002-of-00002.safetensors"}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(UsageError, match="model-00002-of-00002.safetensors") as info:
        load_model(make_args(model=str(folder)))
    assert "incomplete" in str(info.value)


def test_truncated_weights_are_reported_as_damaged(tiny_model_dir, tmp_path, make_args):
    folder = _copy(tiny_model_dir, tmp_path / "truncated")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1000])
    with pytest.raises(UsageError, match="model.safetensors is damaged: truncated"):
        load_model(make_args(model=str(folder)))


def test_bnb_without_bitsandbytes_says_what_to_install(tiny_model_dir, make_args, monkeypatch):
    find_spec = importlib.util.find_spec
    # as on a machine where bitsandbytes is not installed
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "bitsandbytes" else find_spec(n, *a))
    with pytest.raises(UsageError, match="pip install bitsandbytes"):
        load_model(make_args(model=tiny_model_dir, quant_method="bnb", quant_bits=4))


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is None, reason="needs bitsandbytes")
def test_bnb_4bit_quantizes_linear_layers_with_the_bnb_flags(tiny_model_dir, make_args):
    import bitsandbytes as bnb

    args = make_args(
        model=tiny_model_dir,
        quant_method="bnb",
        quant_bits=4,
        torch_dtype="bfloat16",
        bnb_4bit_quant_type="fp4",
    )
    model, tokenizer, _ = load_model(args)
    q_proj = model.model.layers[0].self_attn.q_proj
    assert isinstance(q_proj, bnb.nn.Linear4bit)
    assert q_proj.weight.quant_state.quant_type == "fp4"
    assert q_proj.compute_dtype == torch.bfloat16  # defaults to --torch_dtype
    assert model(tokenizer("hi", return_tensors="pt")["input_ids"]).logits.dtype == torch.bfloat16


@pytest.mark.skipif(importlib.util.find_spec("bitsandbytes") is None, reason="needs bitsandbytes")
def test_bnb_8bit_quantizes_linear_layers(tiny_model_dir, make_args):
    import bitsandbytes as bnb

    model, _, _ = load_model(make_args(model=tiny_model_dir, quant_method="bnb", quant_bits=8))
    assert isinstance(model.model.layers[0].mlp.down_proj, bnb.nn.Linear8bitLt)


def test_bnb_with_unsupported_bits_is_a_usage_error(tiny_model_dir, make_args):
    with pytest.raises(UsageError, match="--quant_bits 4 or 8, got 3"):
        load_model(make_args(model=tiny_model_dir, quant_method="bnb", quant_bits=3))


def test_local_repo_path_goes_first_on_sys_path(tiny_model_dir, tmp_path, make_args, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    repo = tmp_path / "repo"
    repo.mkdir()
    load_model(make_args(model=tiny_model_dir, local_repo_path=str(repo)))
    assert sys.path[0] == str(repo.resolve())


def test_missing_required_package_is_named_with_the_install_command():
    record = ModelRecord(name="acme", load="x.y:z", requires=("swift-no-such-package>=1",))
    with pytest.raises(UsageError, match="pip install 'swift-no-such-package>=1'"):
        check_requirements(record)
    check_requirements(ModelRecord(name="ok", load="x.y:z", requires=("torch>=2",)))


def test_the_start_up_line_names_the_template_in_effect(tiny_model_dir, make_args, capsys):
    load_model(make_args(model=tiny_model_dir))
    assert "template 'qwen3'" in capsys.readouterr().err

    load_model(make_args(model=tiny_model_dir, template="chatml"))
    line = capsys.readouterr().err
    assert "loaded model type 'qwen3'" in line and "template 'chatml'" in line
