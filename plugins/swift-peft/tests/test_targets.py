"""--target_modules, --target_regex and --modules_to_save, as the adapted model shows them."""

from __future__ import annotations

import json

import pytest
import torch
from peft import PeftModel
from peft.tuners.lora import LoraLayer
from safetensors.torch import load_file
from swift_peft.lora import LORA
from swift_peft.targets import expand_all_linear, linear_module_names
from transformers import AutoConfig, AutoModelForCausalLM

from swift.kernel import UsageError

PROJECTIONS = (
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "mlp.gate_proj",
    "mlp.up_proj",
    "mlp.down_proj",
)


def _adapted(model):
    """Names (relative to the base model) of the modules that received a LoRA adapter."""
    base = model.get_base_model()
    return {name for name, module in base.named_modules() if isinstance(module, LoraLayer)}


def _prepare(make_args, load_base, **flags):
    torch.manual_seed(0)
    return LORA.prepare(load_base(), make_args(**flags))


def test_all_linear_adapts_every_attention_and_mlp_projection_and_not_lm_head(make_args, load_base, tmp_path):
    model = _prepare(make_args, load_base)
    assert _adapted(model) == {f"model.layers.{i}.{p}" for i in range(2) for p in PROJECTIONS}
    LORA.save(model, str(tmp_path))
    saved = json.loads((tmp_path / "adapter_config.json").read_text())["target_modules"]
    assert sorted(saved) == sorted(p.split(".")[1] for p in PROJECTIONS)


def test_tied_output_embeddings_are_never_targeted():
    config = AutoConfig.for_model(
        "qwen3",
        vocab_size=128,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        tie_word_embeddings=True,
    )
    model = AutoModelForCausalLM.from_config(config)
    assert model.lm_head.weight is model.model.embed_tokens.weight
    assert "lm_head" not in linear_module_names(model)
    assert "lm_head" not in expand_all_linear(model)


class _HeadSharingAName(torch.nn.Module):
    """A model whose output head is called ``out`` like an inner projection."""

    def __init__(self):
        super().__init__()
        self.block = torch.nn.ModuleDict({"proj": torch.nn.Linear(4, 4), "out": torch.nn.Linear(4, 4)})
        self.out = torch.nn.Linear(4, 8)

    def get_output_embeddings(self):
        return self.out


def test_head_sharing_a_short_name_with_a_projection_is_excluded_by_full_names():
    assert expand_all_linear(_HeadSharingAName()) == ["block.proj", "block.out"]


def test_target_regex_wins_over_target_modules_and_selects_only_matching_modules(make_args, load_base, tmp_path):
    regex = r"model\.layers\.0\.self_attn\.(q|v)_proj"
    model = _prepare(make_args, load_base, target_regex=regex, target_modules=["down_proj"])
    assert _adapted(model) == {"model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj"}
    LORA.save(model, str(tmp_path))
    assert json.loads((tmp_path / "adapter_config.json").read_text())["target_modules"] == regex


def test_explicit_target_modules_adapt_only_those_names(make_args, load_base):
    model = _prepare(make_args, load_base, target_modules=["q_proj", "v_proj"])
    assert _adapted(model) == {f"model.layers.{i}.self_attn.{p}" for i in range(2) for p in ("q_proj", "v_proj")}


def test_all_linear_combines_with_other_names(make_args, load_base):
    model = _prepare(make_args, load_base, target_modules=["all-linear", "embed_tokens"])
    assert "model.embed_tokens" in _adapted(model)
    assert "lm_head" not in _adapted(model)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            {"target_modules": ["q_prj"]},
            "--target_modules q_prj: no module of the model has that name",
        ),
        ({"target_regex": r".*\.qproj"}, "matches no module name"),
        ({"target_regex": r"(unclosed"}, "is not a valid regular expression"),
        ({"modules_to_save": ["lm_haed"]}, "--modules_to_save lm_haed"),
    ],
    ids=["unknown-name", "regex-matches-nothing", "bad-regex", "unknown-module-to-save"],
)
def test_targets_that_match_nothing_are_usage_errors_naming_the_linears(make_args, load_base, flags, message):
    with pytest.raises(UsageError) as err:
        _prepare(make_args, load_base, **flags)
    assert message in str(err.value)
    if "target_modules" in flags:
        assert "q_proj" in str(err.value) and "all-linear" in str(err.value)


def test_modules_to_save_trains_saves_and_reloads_the_whole_module(
    make_args, load_base, base_path, tmp_path, logits_of, train_step
):
    model = _prepare(make_args, load_base, modules_to_save=["lm_head"])
    original = load_base().lm_head.weight.detach().clone()
    train_step(model)
    trained_head = model.get_base_model().lm_head.modules_to_save["default"].weight
    assert trained_head.requires_grad and not torch.equal(trained_head.detach(), original)

    LORA.save(model, str(tmp_path))
    saved = load_file(tmp_path / "adapter_model.safetensors")
    assert torch.equal(saved["base_model.model.lm_head.weight"], trained_head.detach())
    reloaded = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_path), str(tmp_path))
    torch.testing.assert_close(logits_of(reloaded), logits_of(model), atol=1e-5, rtol=0)
