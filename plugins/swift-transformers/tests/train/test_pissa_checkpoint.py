"""A PiSSA adapter trained by `swift sft` loads in plain peft on the ORIGINAL base model."""

import json
import os

import torch


def test_pissa_checkpoint_reproduces_the_trained_model_on_the_original_base(train_args, sft, tiny_model_dir):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    result = sft(train_args(init_lora_weights="pissa", lora_rank=4, max_steps=2, save_steps=2))
    checkpoint = result["last_model_checkpoint"]
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    reloaded = PeftModel.from_pretrained(base, checkpoint).eval()
    ids = torch.tensor([[1, 5, 9, 42, 7]])
    base_logits = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()(ids).logits
    with torch.no_grad():
        logits = reloaded(ids).logits
    # the adapter was converted for the unmodified base: rank doubles, weights differ from base
    config = json.load(open(os.path.join(checkpoint, "adapter_config.json")))
    assert config["r"] == 8
    assert not torch.allclose(logits, base_logits, atol=1e-4)
