"""Audio (Qwen2-Audio): token-exact with Qwen2AudioProcessor, decoding with PyAV, training and inference."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest
import torch

from swift.template import get_template
from swift.template.media import split_tags


def tone(hz: float, seconds: float, rate: int = 16000) -> np.ndarray:
    return (0.5 * np.sin(np.linspace(0, 2 * np.pi * hz * seconds, int(rate * seconds)))).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """16-bit mono PCM (the stdlib writer; PyAV decodes it and resamples to 16 kHz)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture(scope="session")
def audio_model(tmp_path_factory) -> Path:
    from swift_sdk.tiny_vision import build_tiny_vision_model

    return build_tiny_vision_model(tmp_path_factory.mktemp("qwen2_audio"), "qwen2_audio")


@pytest.fixture(scope="session")
def audio_dataset(tmp_path_factory) -> Path:
    """8 rows "<audio>High or low?" → high/low, 16-bit WAVs at 8 kHz next to the file (relative paths)."""
    folder = tmp_path_factory.mktemp("audio")
    rows = []
    for i in range(8):
        high = i % 2 == 1
        write_wav(folder / "clips" / f"{i}.wav", tone(1200 if high else 200, 0.5 + 0.1 * i, 8000), 8000)
        messages = [
            {"role": "user", "content": "<audio>High or low?"},
            {"role": "assistant", "content": "high" if high else "low"},
        ]
        rows.append({"messages": messages, "audios": [f"clips/{i}.wav"]})
    path = folder / "audio.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _u(text: str) -> dict:
    return {"role": "user", "content": text}


def _a(text: str) -> dict:
    return {"role": "assistant", "content": text}


def _parts(messages: list[dict]) -> list[dict]:
    out = []
    for m in messages:
        parts = [
            {"type": "audio", "audio": "x"} if p == "<audio>" else {"type": "text", "text": p}
            for p in split_tags(m["content"])
        ]
        out.append({"role": m["role"], "content": parts})
    return out


CONVERSATIONS = {
    "single": ([_u("<audio>What is it?"), _a("a tone")], [tone(440, 1.0)]),
    "several": ([_u("<audio><audio>Which is higher?"), _a("the second")], [tone(220, 0.5), tone(880, 2.0)]),
    "multi_turn": (
        [_u("<audio>Pitch?"), _a("low"), _u("<audio>And this?"), _a("high")],
        [tone(200, 0.7), tone(1500, 1.3)],
    ),
    "system": (
        [{"role": "system", "content": "Answer in one word."}, _u("<audio>Describe."), _a("beep")],
        [tone(660, 0.3)],
    ),
    "text_only": ([_u("No sound today."), _a("Fine.")], []),
}


@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_training_rows_match_qwen2_audio_processor(audio_model, name, spans_of):
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(audio_model)  # no video part: loads without torchvision
    messages, audios = CONVERSATIONS[name]
    template = get_template("qwen2_audio", processor.tokenizer)
    ours = template.encode({"messages": messages, "audios": audios})
    text = processor.apply_chat_template(_parts(messages), tokenize=False)
    ref = processor(text=[text], audio=audios or None, sampling_rate=16000, return_tensors="pt")
    assert ours["input_ids"] == ref["input_ids"][0].tolist()
    if audios:
        assert torch.equal(ours["input_features"], ref["input_features"])
        assert torch.equal(ours["feature_attention_mask"], ref["feature_attention_mask"])
    else:
        assert "input_features" not in ours
    spans = spans_of(ours["labels"])
    replies = [m["content"] + "<|im_end|>" for m in messages if m["role"] == "assistant"]
    assert [processor.tokenizer.decode(s) for s in spans] == replies


def test_audio_files_are_decoded_and_resampled_and_bad_ones_named(audio_model, tmp_path):
    from transformers import AutoProcessor

    from swift.template import TemplateError

    processor = AutoProcessor.from_pretrained(audio_model)
    template = get_template("qwen2_audio", processor.tokenizer)
    clip = write_wav(tmp_path / "a.wav", tone(440, 1.0, 8000), 8000)
    row = {"messages": [_u("<audio>?"), _a("x")]}
    from_file = template.encode({**row, "audios": [str(clip)]})
    from_array = template.encode({**row, "audios": [tone(440, 1.0)]})
    assert from_file["input_ids"] == from_array["input_ids"]  # 1 s at 8 kHz → 1 s at 16 kHz: same token count
    assert int(from_file["feature_attention_mask"].sum()) == 100  # 10 ms hops
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really")
    for reason, audios in {
        "audio file not found": [str(tmp_path / "missing.wav")],
        "not readable audio": [str(broken)],
    }.items():
        with pytest.raises(TemplateError, match=reason):
            template.encode({**row, "audios": audios})
    with pytest.raises(TemplateError, match="images are not read"):
        template.encode({"messages": [_u("<image>?"), _a("x")], "images": ["a.png"]})


def test_the_engine_prompt_keeps_one_audio_token_and_hands_over_16_khz_samples(audio_model, tmp_path):
    """What vLLM gets for Qwen2-Audio: ``Audio 1: <|audio_bos|><|AUDIO|><|audio_eos|>``, the resampled sound."""
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(audio_model)
    template = get_template("qwen2_audio", processor.tokenizer)
    clip = write_wav(tmp_path / "a.wav", tone(440, 1.0, 8000), 8000)

    ours = template.encode_prompt_media([_u("<audio>What is it?")], audios=[str(clip)])

    audio_token = processor.tokenizer.convert_tokens_to_ids("<|AUDIO|>")
    assert ours["input_ids"].count(audio_token) == 1
    assert ours["expanded_ids"] == template.encode_prompt([_u("<audio>What is it?")], audios=[str(clip)])["input_ids"]
    assert ours["expanded_ids"].count(audio_token) > 1
    [(samples, rate)] = ours["media"]["audio"]
    assert rate == 16000 and len(samples) == 16000


def test_a_training_batch_carries_each_rows_audio_features_and_the_model_reads_them(audio_model, audio_dataset):
    from swift_transformers.train.collator import PaddingCollator
    from transformers import AutoModelForMultimodalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(audio_model)
    template = get_template("qwen2_audio", tokenizer)
    rows = []
    for line in audio_dataset.read_text().splitlines()[:2]:
        row = json.loads(line)
        rows.append(template.encode({**row, "audios": [str(audio_dataset.parent / a) for a in row["audios"]]}))
    batch = PaddingCollator(tokenizer.pad_token_id)(rows)
    assert batch["input_features"].shape == (2, 128, 3000) and batch["feature_attention_mask"].shape == (2, 3000)
    model = AutoModelForMultimodalLM.from_pretrained(audio_model).eval()
    with torch.no_grad():
        heard = model(**batch).logits
        silent = model(**{**batch, "input_features": torch.zeros_like(batch["input_features"])}).logits
    assert not torch.allclose(heard, silent)  # the features reach the model


def test_lora_trains_on_audio_rows_keeps_the_audio_tower_and_reloads_in_plain_peft(
    audio_model, audio_dataset, tmp_path
):
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForMultimodalLM, AutoProcessor

    from swift.arguments import InferArguments, TrainArguments
    from swift.llm import infer_main, sft_main

    result = sft_main(
        TrainArguments(
            model=str(audio_model),
            dataset=[str(audio_dataset)],
            output_dir=str(tmp_path / "out"),
            max_steps=2,
            learning_rate=5e-3,
            logging_steps=1,
            save_steps=2,
            split_dataset_ratio=0.0,
            lora_dropout=0.0,
            per_device_train_batch_size=2,
            report_to=["none"],
        )  # fmt: skip
    )
    ckpt = Path(result["last_model_checkpoint"])
    adapter = load_file(str(ckpt / "adapter_model.safetensors"))
    assert adapter and not any("audio_tower" in name for name in adapter)  # all-linear: the language model only
    processor = AutoProcessor.from_pretrained(audio_model)
    row = json.loads(audio_dataset.read_text().splitlines()[1])
    row["audios"] = [str(audio_dataset.parent / a) for a in row["audios"]]
    encoded = get_template("qwen2_audio", processor.tokenizer).encode(row)
    batch = {k: v if torch.is_tensor(v) else torch.tensor([v]) for k, v in encoded.items() if k != "labels"}
    plain = PeftModel.from_pretrained(AutoModelForMultimodalLM.from_pretrained(audio_model), ckpt).eval()
    with torch.no_grad():
        logits = plain(**batch).logits
    assert torch.isfinite(logits).all()
    answers = tmp_path / "answers.jsonl"
    infer_main(
        InferArguments(
            adapters=[str(ckpt)], val_dataset=[str(audio_dataset)], max_new_tokens=2, result_path=str(answers)
        )
    )
    rows = [json.loads(line) for line in answers.read_text().splitlines()]
    assert len(rows) == 8 and all(r["audios"][0].endswith(".wav") and r["response"] is not None for r in rows)


def test_swift_deploy_answers_the_openai_client_with_an_input_audio_part(audio_model, tmp_path):
    import base64

    from openai import BadRequestError, OpenAI

    from swift_sdk.cli import swift_server

    clip = write_wav(tmp_path / "a.wav", tone(300, 0.8, 16000), 16000)
    data = base64.b64encode(clip.read_bytes()).decode()
    with swift_server("deploy", "--model", str(audio_model), log_path=tmp_path / "deploy.log") as base:
        client = OpenAI(base_url=f"{base}/v1", api_key="none")
        model = client.models.list().data[0].id
        parts = [
            {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}},
            {"type": "text", "text": "Pitch?"},
        ]
        reply = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": parts}], max_tokens=3, temperature=0
        )
        assert reply.choices[0].message.content is not None
        assert reply.usage.prompt_tokens > 20  # 0.8 s: 20 audio tokens, and the text
        bad = [{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}}]
        with pytest.raises(BadRequestError, match="not readable audio"):
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": bad}], max_tokens=2)


def test_max_pixels_on_the_audio_model_stops_before_loading(audio_model, audio_dataset, tmp_path, capsys):
    from swift.cli.main import main

    try:
        rc = main(["sft", "--model", str(audio_model), "--dataset", str(audio_dataset), "--max_pixels", "100000",
                   "--output_dir", str(tmp_path / "out")])  # fmt: skip
    except SystemExit as exc:
        rc = exc.code
    assert rc == 2 and "reads audio" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
