"""A checkpoint of a family swift has no template for trains with its own chat template, masks included.

Arcee stands for any such family: transformers builds it, swift's catalogue does not list it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

ROWS = [
    {"messages": [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello! How can I help?"}]},
    {
        "messages": [
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "One plus one?"},
            {"role": "assistant", "content": "Two."},
            {"role": "user", "content": "And two plus two?"},
            {"role": "assistant", "content": "Four."},
        ]
    },
]


@pytest.fixture(scope="module")
def unknown_family(tmp_path_factory):
    """A tiny Arcee checkpoint (ChatML chat template), and a copy without any chat template."""
    from swift_sdk.tiny import build_tiny_model

    root = tmp_path_factory.mktemp("arcee")
    with_template = build_tiny_model(root / "arcee-chat", arch="arcee")
    bare = build_tiny_model(root / "arcee-bare", arch="arcee")
    (bare / "chat_template.jinja").unlink(missing_ok=True)
    config = json.loads((bare / "tokenizer_config.json").read_text())
    config.pop("chat_template", None)
    (bare / "tokenizer_config.json").write_text(json.dumps(config))
    data = root / "chat.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return str(with_template), str(bare), str(data)


def swift(*argv, cwd):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "swift.cli.main", *argv], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_its_own_chat_template_gives_the_ids_and_masks_of_the_matching_swift_template(unknown_family):
    from transformers import AutoTokenizer

    from swift.template import get_template

    tokenizer = AutoTokenizer.from_pretrained(unknown_family[0])
    own = get_template("chat_template", tokenizer)
    chatml = get_template("chatml", tokenizer)  # what the tiny checkpoint's template is
    assert own.name == "chat_template" and own.template_backend == "jinja"
    for row in ROWS:
        assert own.encode(row) == chatml.encode(row)
        assert any(label != -100 for label in own.encode(row)["labels"])


def test_sft_picks_the_checkpoints_chat_template_and_trains(unknown_family, tmp_path):
    model, _, data = unknown_family
    done = swift("sft", "--model", model, "--dataset", data, "--max_steps", "2", "--output_dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "own chat template" in done.stderr
    [run] = (tmp_path / "out").glob("v0-*")
    args = json.loads((run / "args.json").read_text())
    assert (args["model_type"], args["template"]) == ("causal_lm", "chat_template")
    assert (run / "checkpoint-2" / "adapter_model.safetensors").is_file()


def test_without_a_chat_template_the_run_stops_before_loading_and_lists_the_templates(unknown_family, tmp_path):
    _, bare, data = unknown_family
    started = time.time()
    done = swift("sft", "--model", bare, "--dataset", data, "--output_dir", "out", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "has no chat template" in done.stderr and "chatml" in done.stderr and "--template" in done.stderr
    assert "Traceback" not in done.stderr and "Loading weights" not in done.stderr
    assert time.time() - started < 60 and not (tmp_path / "out").exists()
    # --template or plain text (swift pt) are the ways on
    chosen = swift("sft", "--model", bare, "--dataset", data, "--template", "chatml", "--max_steps", "1",
                   "--output_dir", "out", cwd=tmp_path)  # fmt: skip
    assert chosen.returncode == 0, chosen.stderr[-3000:]
    plain = swift("pt", "--model", bare, "--dataset", data, "--max_steps", "1", "--output_dir", "pt", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr[-3000:]
