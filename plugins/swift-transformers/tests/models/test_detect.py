"""Which model type (and so which default template) a checkpoint gets."""

from __future__ import annotations

import pytest

from swift.kernel import UnknownNameError
from swift.services import select_model_record as select_for_dir


def select_model_record(args, model_dir):
    """Detection as the model loader calls it, from the model flags of ``args``."""
    return select_for_dir(model_dir, model=args.model, model_type=args.model_type)


def test_tiny_qwen3_is_detected_from_config_with_qwen3_template(tiny_model_dir, make_args):
    record = select_model_record(make_args(model=tiny_model_dir), tiny_model_dir)
    assert (record.name, record.template) == ("qwen3", "qwen3")


def test_tiny_llama_without_hub_id_is_the_llama_family_default(tiny_llama_dir, make_args):
    record = select_model_record(make_args(model=tiny_llama_dir), tiny_llama_dir)
    assert (record.name, record.template) == ("llama", "llama")


def test_explicit_model_type_overrides_detection(tiny_model_dir, make_args):
    record = select_model_record(make_args(model=tiny_model_dir, model_type="deepseek_r1_distill"), tiny_model_dir)
    assert (record.name, record.template) == ("deepseek_r1_distill", "deepseek_r1")


def test_unknown_model_type_lists_names_and_suggests_the_closest(tiny_model_dir, make_args):
    with pytest.raises(UnknownNameError) as info:
        select_model_record(make_args(model=tiny_model_dir, model_type="qwen25"), tiny_model_dir)
    message = str(info.value)
    assert "'qwen25'" in message
    assert "Did you mean 'qwen2_5'?" in message
    assert "llama3_2" in message and "glm4" in message


@pytest.mark.parametrize(
    ("architecture", "config_type", "hub_id", "expected"),
    [
        ("Qwen2ForCausalLM", "qwen2", "Qwen/Qwen2.5-0.5B-Instruct", "qwen2_5"),
        ("Qwen2ForCausalLM", "qwen2", "Qwen/Qwen2-7B-Instruct", "qwen2"),
        ("Qwen2ForCausalLM", "qwen2", "Qwen/Qwen1.5-7B-Chat", "qwen2"),
        (
            "Qwen2ForCausalLM",
            "qwen2",
            "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
            "deepseek_r1_distill",
        ),
        (
            "LlamaForCausalLM",
            "llama",
            "deepseek-ai/DeepSeek-R1-Distill-Llama-8B",
            "deepseek_r1_distill",
        ),
        ("LlamaForCausalLM", "llama", "meta-llama/Meta-Llama-3-8B-Instruct", "llama3"),
        ("LlamaForCausalLM", "llama", "meta-llama/Llama-3.1-8B-Instruct", "llama3_1"),
        ("LlamaForCausalLM", "llama", "LLM-Research/Llama-3.2-1B-Instruct", "llama3_2"),
        ("LlamaForCausalLM", "llama", "01-ai/Yi-1.5-6B-Chat", "yi"),
        ("Phi3ForCausalLM", "phi3", "microsoft/phi-4", "phi4"),
        ("Phi3ForCausalLM", "phi3", "microsoft/Phi-3-mini-4k-instruct", "phi3"),
        ("Phi3ForCausalLM", "phi3", "microsoft/Phi-4-mini-instruct", "phi4_mini"),
        ("MistralForCausalLM", "mistral", "mistralai/Mistral-Small-24B-Instruct-2501", "mistral_small3"),
        ("MistralForCausalLM", "mistral", "mistralai/Mistral-7B-Instruct-v0.3", "mistral"),
        # the same family's vision checkpoint: its architecture wins over the text record's id pattern
        ("Mistral3ForConditionalGeneration", "mistral3", "mistralai/Mistral-Small-3.1-24B-Instruct-2503", "mistral3"),
        ("Glm4MoeForCausalLM", "glm4_moe", "zai-org/GLM-4.5-Air", "glm4_moe"),
        ("Qwen3_5ForCausalLM", "qwen3_5", "Qwen/Qwen3.5-9B", "qwen3_5"),
        ("Qwen3_5MoeForCausalLM", "qwen3_5_moe", "Qwen/Qwen3.5-35B-A3B", "qwen3_5_moe"),
        ("GptOssForCausalLM", "gpt_oss", "openai/gpt-oss-20b", "gpt_oss"),
        ("GraniteMoeHybridForCausalLM", "granitemoehybrid", "ibm-granite/granite-4.0-h-tiny", "granite4"),
        ("SmolLM3ForCausalLM", "smollm3", "/models/my-finetune", "smollm3"),
        ("DeepseekV3ForCausalLM", "deepseek_v3", "deepseek-ai/DeepSeek-R1", "deepseek_r1"),
    ],
)
def test_name_or_path_picks_the_most_specific_record(
    fake_checkpoint, make_args, architecture, config_type, hub_id, expected
):
    folder = fake_checkpoint(architectures=[architecture], model_type=config_type, _name_or_path=hub_id)
    assert select_model_record(make_args(model=folder), folder).name == expected


def test_hub_id_given_as_model_picks_qwen2_5_for_a_qwen2_architecture(fake_checkpoint, make_args):
    folder = fake_checkpoint("snapshot", architectures=["Qwen2ForCausalLM"], model_type="qwen2")
    record = select_model_record(make_args(model="Qwen/Qwen2.5-0.5B-Instruct"), folder)
    assert (record.name, record.template) == ("qwen2_5", "qwen2_5")


def test_hub_cache_folder_names_the_checkpoint(fake_checkpoint, make_args):
    folder = fake_checkpoint(
        "models--Qwen--Qwen2.5-7B-Instruct/snapshots/0123abcd",
        architectures=["Qwen2ForCausalLM"],
        model_type="qwen2",
    )
    assert select_model_record(make_args(model=folder), folder).name == "qwen2_5"


def test_qwen2_architecture_without_an_id_is_qwen2(fake_checkpoint, make_args):
    folder = fake_checkpoint(architectures=["Qwen2ForCausalLM"], model_type="qwen2")
    assert select_model_record(make_args(model=folder), folder).name == "qwen2"


def test_a_misleading_name_does_not_override_the_architecture(fake_checkpoint, make_args):
    # Named like Qwen2.5 but the weights are Llama: the config wins over the name.
    folder = fake_checkpoint("Qwen2.5-7B-Instruct", architectures=["LlamaForCausalLM"], model_type="llama")
    assert select_model_record(make_args(model=folder), folder).name == "llama"


def test_config_model_type_alone_is_enough(fake_checkpoint, make_args):
    folder = fake_checkpoint(model_type="gemma2")
    assert select_model_record(make_args(model=folder), folder).name == "gemma2"


def test_unknown_architecture_falls_back_to_generic_causal_lm_with_a_warning(fake_checkpoint, make_args, capsys):
    folder = fake_checkpoint(architectures=["AcmeForCausalLM"], model_type="acme")
    record = select_model_record(make_args(model=folder), folder)
    assert (record.name, record.template) == ("causal_lm", "chat_template")
    err = capsys.readouterr().err
    assert "AcmeForCausalLM" in err and "--model_type" in err and "--template" in err
    assert "own chat template" in err
