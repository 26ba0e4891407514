"""Training a vision-language model with images: LoRA and full, the freeze flags, bad rows, merging."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from swift.kernel import UsageError


@pytest.fixture
def vl_args(qwen2_vl_model, color_dataset, tmp_path):
    """``vl_args(**overrides)`` → ``TrainArguments`` for a short run on the tiny Qwen2-VL."""
    from swift.arguments import TrainArguments

    def make(**overrides):
        values = dict(
            model=str(qwen2_vl_model),
            dataset=[str(color_dataset)],
            output_dir=str(tmp_path / "output"),
            max_steps=2,
            learning_rate=5e-3,
            logging_steps=1,
            save_steps=2,
            split_dataset_ratio=0.0,
            per_device_train_batch_size=2,
            lora_dropout=0.0,
            report_to=["none"],
        )
        values.update(overrides)
        return TrainArguments(**values)

    return make


def _encoded_row(model_dir: Path, dataset: Path, template: str = "qwen2_vl") -> dict:
    from transformers import AutoTokenizer

    from swift.template import get_template

    row = json.loads(dataset.read_text().splitlines()[1])
    row["images"] = [str(dataset.parent / p) for p in row["images"]]
    encoded = get_template(template, AutoTokenizer.from_pretrained(model_dir)).encode(row)
    inputs = {"input_ids": torch.tensor([encoded["input_ids"]]), "pixel_values": encoded["pixel_values"]}
    for key in ("image_grid_thw", "image_position_ids", "image_sizes"):
        if key in encoded:
            inputs[key] = encoded[key]
    for key in ("mm_token_type_ids", "token_type_ids"):
        if key in encoded:
            inputs[key] = torch.tensor([encoded[key]])
    return inputs


def test_lora_trains_the_language_model_and_reloads_in_plain_peft(vl_args, vision_model, color_dataset):
    from peft import PeftModel
    from swift_transformers.engine.pt import PtEngine
    from transformers import AutoModelForImageTextToText

    from swift.llm import sft_main

    qwen2_vl_model = vision_model.path
    summary = sft_main(vl_args(model=str(qwen2_vl_model)))
    assert json.loads((Path(summary["output_dir"]) / "args.json").read_text())["model_type"] == {
        "qwen3_5": "qwen3_5_vl"
    }.get(vision_model.arch, vision_model.arch)
    checkpoint = Path(summary["last_model_checkpoint"])
    config = json.loads((checkpoint / "adapter_config.json").read_text())
    # --freeze_vit/--freeze_aligner default on: every adapted layer is inside the language model
    adapted = {k.split(".lora_")[0] for k in load_file(str(checkpoint / "adapter_model.safetensors"))}
    assert adapted and all(".language_model." in k or ".text_model." in k for k in adapted), sorted(adapted)[:5]
    assert config["target_modules"]
    assert json.loads((checkpoint.parent / "args.json").read_text())["lazy_tokenize"] is True

    inputs = _encoded_row(qwen2_vl_model, color_dataset, vision_model.template)
    base = AutoModelForImageTextToText.from_pretrained(qwen2_vl_model).eval()
    with torch.no_grad():
        base_logits = base(**inputs).logits
    plain = PeftModel.from_pretrained(base, checkpoint).eval()
    with torch.no_grad():
        plain_logits = plain(**inputs).logits
    assert not torch.allclose(plain_logits, base_logits), "the adapter changed nothing"

    from swift.arguments import InferArguments

    engine = PtEngine(InferArguments(adapters=[str(checkpoint)]))
    with torch.no_grad():
        ours = engine.model(**inputs).logits
    assert torch.allclose(ours, plain_logits, atol=1e-6)


def test_freeze_vit_false_adapts_the_vision_tower_too(vl_args):
    from swift.llm import sft_main

    summary = sft_main(vl_args(freeze_vit=False))
    config = json.loads((Path(summary["last_model_checkpoint"]) / "adapter_config.json").read_text())
    targets = config["target_modules"]
    names = targets if isinstance(targets, list) else [targets]
    assert any("visual.blocks" in n or n in ("qkv", "proj", "fc1", "fc2") for n in names), names
    assert not any("merger" in n for n in names), "the aligner stays frozen"


def test_full_training_keeps_the_frozen_vision_tower_fixed(vl_args, vision_model):
    from swift.llm import sft_main

    qwen2_vl_model = vision_model.path
    summary = sft_main(
        vl_args(model=str(qwen2_vl_model), train_type="full", learning_rate=1e-3, max_steps=3, save_steps=3)
    )
    checkpoint = Path(summary["last_model_checkpoint"])
    before = load_file(str(qwen2_vl_model / "model.safetensors"))
    after = load_file(str(checkpoint / "model.safetensors"))
    # Qwen2-VL saves visual.* / model.*, Qwen3-VL model.visual.* / model.language_model.*, Gemma 3
    # model.vision_tower.* and model.multi_modal_projector.* / model.language_model.*
    frozen_parts = ("visual.", "vision_tower.", "multi_modal_projector.", "vision_model.", "connector.")
    visual = [k for k in before if any(p in k for p in frozen_parts)]
    language = [k for k in before if not any(p in k for p in frozen_parts)]
    assert visual and language
    assert all(torch.equal(before[k], after[k]) for k in visual)
    assert any(not torch.equal(before[k], after[k]) for k in language)
    # the checkpoint loads again as a vision-language model: the image processor travels with it
    assert any((checkpoint / name).is_file() for name in ("preprocessor_config.json", "processor_config.json"))


def test_full_training_with_freeze_llm_trains_only_the_unfrozen_aligner(vl_args, qwen2_vl_model):
    from swift.llm import sft_main

    summary = sft_main(vl_args(train_type="full", freeze_llm=True, freeze_aligner=False, learning_rate=1e-2))
    before = load_file(str(qwen2_vl_model / "model.safetensors"))
    after = load_file(str(Path(summary["last_model_checkpoint"]) / "model.safetensors"))
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed and all("visual.merger." in k for k in changed), sorted(changed)[:5]


def test_freezing_every_part_is_refused(vl_args):
    from swift.llm import sft_main

    with pytest.raises(UsageError, match="nothing left to train"):
        sft_main(vl_args(freeze_llm=True))


def test_a_row_with_an_unreadable_image_is_dropped_and_counted(vl_args, color_dataset, tmp_path, caplog):
    from swift.llm import sft_main

    rows = color_dataset.read_text().splitlines()
    bad = {"messages": [{"role": "user", "content": "<image>?"}, {"role": "assistant", "content": "x"}]}
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    mixed = rows + [json.dumps({**bad, "images": ["missing.png"]}), json.dumps({**bad, "images": [str(broken)]})]
    mixed.append(json.dumps({**bad, "images": []}))  # a tag without its image
    path = color_dataset.parent / "mixed.jsonl"
    path.write_text("\n".join(mixed) + "\n")
    with caplog.at_level("WARNING"):
        sft_main(vl_args(dataset=[str(path)], lazy_tokenize=False))
    text = caplog.text
    assert "dropped 3 of 15" in text, text
    assert "row 13: image 1: image file not found" in text  # the report shows the first reason
    with pytest.raises(UsageError, match="strict"):
        sft_main(vl_args(dataset=[str(path)], lazy_tokenize=False, strict=True))


def test_merged_checkpoint_loads_in_plain_transformers_with_its_image_processor(vl_args, qwen2_vl_model, color_dataset):
    from transformers import AutoImageProcessor, AutoModelForImageTextToText

    from swift.llm import ExportArguments, export_main, sft_main

    checkpoint = sft_main(vl_args())["last_model_checkpoint"]
    export_main(ExportArguments(adapters=[checkpoint], merge_lora=True))
    merged = Path(checkpoint + "-merged")
    assert (merged / "preprocessor_config.json").is_file()
    AutoImageProcessor.from_pretrained(merged)
    model = AutoModelForImageTextToText.from_pretrained(merged).eval()
    inputs = _encoded_row(qwen2_vl_model, color_dataset)
    from swift_transformers.engine.pt import PtEngine

    from swift.arguments import InferArguments

    engine = PtEngine(InferArguments(adapters=[checkpoint]))
    with torch.no_grad():
        assert torch.allclose(model(**inputs).logits, engine.model(**inputs).logits, atol=1e-5)


def test_bnb_export_keeps_the_image_processor_and_gptq_is_refused(qwen2_vl_model, tmp_path):
    from transformers import AutoImageProcessor

    from swift.llm import ExportArguments, export_main

    out = tmp_path / "int8"
    export_main(ExportArguments(model=str(qwen2_vl_model), quant_method="bnb", quant_bits=8, output_dir=str(out)))
    assert (out / "preprocessor_config.json").is_file()
    AutoImageProcessor.from_pretrained(out)
    with pytest.raises(UsageError, match="use --quant_method bnb"):
        export_main(
            ExportArguments(
                model=str(qwen2_vl_model), quant_method="gptq", quant_bits=4, output_dir=str(tmp_path / "gptq")
            )
        )


def test_swift_infer_and_deploy_answer_image_rows_and_content_parts_for_every_architecture(
    vision_model, color_dataset, tmp_path
):
    import base64

    import openai
    from swift_serve.app import create_app
    from swift_serve.server import BackgroundServer
    from swift_transformers.engine.pt import PtEngine

    from swift.arguments import DeployArguments, InferArguments
    from swift.llm import infer_main
    from swift.protocol import InferRequest, RequestConfig

    result = tmp_path / "answers.jsonl"
    infer_main(
        InferArguments(
            model=str(vision_model.path),
            val_dataset=[str(color_dataset)],
            max_new_tokens=3,
            result_path=str(result),
        )
    )
    answers = [json.loads(line) for line in result.read_text().splitlines()]
    assert len(answers) == 12 and all(a["images"][0].endswith(".png") and a["response"] is not None for a in answers)
    # swift deploy's app over the engine, asked by the official openai client with an image_url part
    url = "data:image/png;base64," + base64.b64encode((color_dataset.parent / "images" / "1.png").read_bytes()).decode()
    parts = [{"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": "What color?"}]
    engine = PtEngine(InferArguments(model=str(vision_model.path)))
    [expected] = engine.infer(
        [InferRequest(messages=[{"role": "user", "content": parts}])], RequestConfig(max_tokens=3)
    )
    text_only = engine.infer(
        [InferRequest(messages=[{"role": "user", "content": "What color?"}])], RequestConfig(max_tokens=1)
    )
    args = DeployArguments(model=str(vision_model.path), host="127.0.0.1", port=0, verbose=False, log_interval=0)
    with BackgroundServer(create_app(engine, args)) as server:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="-", max_retries=0)
        model = client.models.list().data[0].id
        reply = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": parts}], max_tokens=3, temperature=0
        )
    assert reply.choices[0].message.content == expected.choices[0].message.content
    assert reply.usage.prompt_tokens == expected.usage.prompt_tokens > text_only[0].usage.prompt_tokens
