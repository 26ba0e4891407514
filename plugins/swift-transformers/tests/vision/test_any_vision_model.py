"""A vision-language checkpoint no model type describes: detected as ``vision_lm``, encoded by its own processor."""

from __future__ import annotations

import json

import pytest


def test_a_checkpoint_with_a_vision_config_falls_back_to_vision_lm(tmp_path, capsys):
    from swift.services.detect import select_model_record

    folder = tmp_path / "mystery-vl"
    folder.mkdir()
    config = {"architectures": ["MysteryVLForConditionalGeneration"], "model_type": "mystery_vl", "vision_config": {}}
    (folder / "config.json").write_text(json.dumps(config))
    record = select_model_record(str(folder))
    assert record.name == "vision_lm" and record.template == "vision_auto"
    assert "loading it as a generic vision-language model" in capsys.readouterr().err
    (folder / "config.json").write_text(json.dumps({**config, "vision_config": None}))
    assert select_model_record(str(folder)).name == "causal_lm"


@pytest.fixture(scope="module")
def llava_next(tmp_path_factory):
    from swift_sdk.tiny_vision import build_tiny_vision_model

    return build_tiny_vision_model(tmp_path_factory.mktemp("llava-next"), "llava_next")


def test_vision_lm_trains_and_answers_through_the_processor_class(llava_next, color_dataset, tmp_path):
    from swift_transformers.engine.pt import PtEngine

    from swift.arguments import InferArguments, TrainArguments
    from swift.llm import sft_main
    from swift.protocol import InferRequest, RequestConfig

    summary = sft_main(
        TrainArguments(
            model=str(llava_next),
            model_type="vision_lm",
            dataset=[str(color_dataset)],
            output_dir=str(tmp_path / "out"),
            max_steps=2,
            save_steps=2,
            per_device_train_batch_size=2,  # images of different sizes: tiles padded in the batch
            split_dataset_ratio=0.0,
            report_to=["none"],
        )
    )
    args = json.loads((tmp_path / "out").glob("v0-*/args.json").__next__().read_text())
    assert (args["model_type"], args["template"]) == ("vision_lm", "vision_auto")
    engine = PtEngine(InferArguments(adapters=[summary["last_model_checkpoint"]]))
    image = str(color_dataset.parent / "images" / "0.png")
    [response] = engine.infer(
        [InferRequest(messages=[{"role": "user", "content": "<image>What color is it?"}], images=[image])],
        RequestConfig(max_tokens=3, temperature=0),
    )
    assert response.usage.prompt_tokens > 16  # the image's features are in the prompt


def test_max_pixels_is_refused_where_the_processor_sizes_images(llava_next):
    from transformers import AutoTokenizer

    from swift.kernel import UsageError
    from swift.template import get_template

    with pytest.raises(UsageError, match="sized by its processor"):
        get_template("vision_auto", AutoTokenizer.from_pretrained(llava_next), max_pixels=100_000)
