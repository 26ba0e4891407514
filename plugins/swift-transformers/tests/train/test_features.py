"""Training flags of the seed reference, each checked by what it changes in a real run."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import torch


def _lora_b_norm(checkpoint) -> float:
    from safetensors.torch import load_file

    weights = load_file(str(Path(checkpoint) / "adapter_model.safetensors"))
    return sum(float(w.norm()) for name, w in weights.items() if "lora_B" in name)


def test_lorap_lr_ratio_makes_lora_b_learn_faster(train_args, sft, tmp_path):
    plain = sft(train_args(max_steps=3, save_steps=3, learning_rate=1e-3, output_dir=str(tmp_path / "a")))
    plus = sft(
        train_args(
            max_steps=3,
            save_steps=3,
            learning_rate=1e-3,
            lorap_lr_ratio=16,
            output_dir=str(tmp_path / "b"),
        )
    )

    assert _lora_b_norm(plus["last_model_checkpoint"]) > 4 * _lora_b_norm(plain["last_model_checkpoint"])


def test_neftune_adds_noise_to_embeddings_while_training(train_args, sft, loss_logs, tmp_path):
    plain = sft(train_args(max_steps=1, save_steps=1, output_dir=str(tmp_path / "a")))
    noisy = sft(train_args(max_steps=1, save_steps=1, neftune_noise_alpha=15, output_dir=str(tmp_path / "b")))

    assert abs(loss_logs(plain["output_dir"])[0]["loss"] - loss_logs(noisy["output_dir"])[0]["loss"]) > 1e-3


def test_adalora_reallocates_ranks_during_training(train_args, sft):
    result = sft(train_args(train_type="adalora", max_steps=6, save_steps=6, learning_rate=1e-2))

    config = json.loads((Path(result["last_model_checkpoint"]) / "adapter_config.json").read_text())
    assert config["peft_type"] == "ADALORA"
    # update_and_allocate ran (the trainer called the tuner's callback) and fixed the final ranks
    assert config["rank_pattern"], "AdaLoRA never allocated ranks"


def test_lisa_trains_only_the_drawn_layers(train_args, sft, tiny_model_dir):
    from transformers import AutoModelForCausalLM

    result = sft(
        train_args(
            train_type="full",
            lisa_activated_layers=1,
            lisa_step_interval=100,
            max_steps=3,
            save_steps=3,
            learning_rate=1e-3,
        )
    )

    trained = AutoModelForCausalLM.from_pretrained(result["last_model_checkpoint"]).model.layers
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir).model.layers
    changed = [
        any(not torch.equal(a, b) for a, b in zip(t.parameters(), o.parameters())) for t, o in zip(trained, base)
    ]
    assert sorted(changed) == [False, True]


def test_user_callbacks_are_imported_from_module_paths(train_args, sft, tmp_path, monkeypatch):
    module = tmp_path / "my_callbacks.py"
    marker = tmp_path / "ended.txt"
    module.write_text(
        textwrap.dedent(f"""
        from transformers import TrainerCallback

        class MarkEnd(TrainerCallback):
            def on_train_end(self, args, state, control, **kwargs):
                open({str(marker)!r}, "w").write(str(state.global_step))
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    sft(train_args(max_steps=2, save_steps=2, callbacks=["my_callbacks:MarkEnd"]))

    assert marker.read_text() == "2"


def test_pt_trains_on_every_token_of_plain_text(train_args, text_file, loss_logs):
    from swift.arguments import PretrainArguments
    from swift.llm import pt_main

    result = pt_main(train_args(PretrainArguments, dataset=[text_file], max_steps=12, save_steps=12))

    losses = [r["loss"] for r in loss_logs(result["output_dir"])]
    assert losses[0] > losses[-1]
    saved = json.loads((Path(result["output_dir"]) / "args.json").read_text())
    assert saved["use_chat_template"] is False and saved["loss_scale"] == "all"


def test_lazy_tokenize_encodes_rows_while_training(train_args, sft, loss_logs):
    result = sft(train_args(lazy_tokenize=True, max_steps=2, save_steps=2))

    assert [r["global_step"] for r in loss_logs(result["output_dir"])] == [1, 2]


def test_streaming_trains_for_max_steps(train_args, sft, loss_logs):
    result = sft(train_args(streaming=True, max_steps=2, save_steps=2))

    assert result["global_step"] == 2
    assert (result["last_model_checkpoint"]).endswith("checkpoint-2")


def test_galore_without_its_package_says_what_to_install(train_args, sft, monkeypatch):
    import importlib.util

    from swift.kernel import UsageError

    find_spec = importlib.util.find_spec
    # as on a machine where galore-torch is not installed
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "galore_torch" else find_spec(name, *a)
    )
    with pytest.raises(UsageError, match="pip install galore-torch"):
        sft(train_args(use_galore=True))


@pytest.mark.parametrize(
    ("flag", "value"),
    [("sequence_parallel_size", 2), ("galore_with_embedding", True)],
)
def test_flags_the_trainer_cannot_honour_are_refused_before_any_work(train_args, sft, tmp_path, flag, value):
    from swift.kernel import UsageError

    with pytest.raises(UsageError, match=flag):
        sft(train_args(**{flag: value}))
    assert not (tmp_path / "output").exists()


def test_use_galore_trains_with_the_galore_optimizer_and_changes_the_update(train_args, sft, tmp_path):
    pytest.importorskip("galore_torch", reason="galore-torch is installed by the test setup")
    from safetensors.torch import load_file

    def weights(result):
        return load_file(str(Path(result["last_model_checkpoint"]) / "model.safetensors"))

    common = {"train_type": "full", "max_steps": 2, "save_steps": 2, "learning_rate": 1e-3}
    plain = sft(train_args(**common, output_dir=str(tmp_path / "a")))
    galore = sft(
        train_args(
            **common,
            use_galore=True,
            galore_rank=2,
            galore_target_modules=["q_proj", "v_proj"],
            output_dir=str(tmp_path / "b"),
        )
    )

    a, b = weights(plain), weights(galore)
    projected = [n for n in a if "q_proj" in n and n.endswith("weight")]
    assert projected and any(not torch.allclose(a[n], b[n]) for n in projected)
    logged = json.loads((Path(galore["output_dir"]) / "args.json").read_text())
    assert logged["use_galore"] is True and logged["galore_rank"] == 2


def test_qlora_bnb_4bit_nf4_double_quant_trains_on_cpu_and_the_adapter_loads_in_plain_peft(
    train_args, sft, tiny_model_dir
):
    pytest.importorskip("bitsandbytes", reason="bitsandbytes is installed by the test setup")
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    result = sft(
        train_args(
            quant_method="bnb",
            quant_bits=4,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            max_steps=2,
            save_steps=2,
            learning_rate=1e-2,
        )
    )

    checkpoint = result["last_model_checkpoint"]
    assert _lora_b_norm(checkpoint) > 0  # lora_B starts at zero: the quantized model trained
    args = json.loads((Path(checkpoint) / "args.json").read_text())
    assert (args["quant_method"], args["quant_bits"], args["bnb_4bit_quant_type"]) == ("bnb", 4, "nf4")
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    model = PeftModel.from_pretrained(base, checkpoint)
    logits = model(torch.tensor([[1, 2, 3]])).logits
    assert torch.isfinite(logits).all()


def test_llamapro_run_writes_an_expanded_model_plain_transformers_loads(train_args, sft, capsys):
    from transformers import AutoModelForCausalLM

    result = sft(train_args(train_type="llamapro", llamapro_num_new_blocks=2, max_steps=2, save_steps=2))

    checkpoint = result["last_model_checkpoint"]
    model = AutoModelForCausalLM.from_pretrained(checkpoint)
    assert model.config.num_hidden_layers == 4  # 2 original + 2 new blocks
    assert f"swift infer --model {checkpoint}" in capsys.readouterr().out
