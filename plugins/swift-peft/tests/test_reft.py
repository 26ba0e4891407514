"""ReFT (--train_type reft): the six interventions, training, saving and reloading, the refusals."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from swift_peft.reft import REFT
from swift_peft.settings import INTERVENTION_TYPES

from swift.kernel import UsageError


def _reft(make_args, **flags):
    return make_args(train_type="reft", **flags)


@pytest.mark.parametrize("kind", INTERVENTION_TYPES)
def test_every_intervention_trains_only_itself_and_changes_the_logits(
    kind, make_args, load_base, logits_of, train_step
):
    base = load_base()
    before = logits_of(base)
    args = _reft(make_args, reft_intervention_type=kind, reft_rank=2, reft_args={"add_bias": True, "act_fn": "gelu"})
    model = REFT.prepare(base, args)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith("swift_reft.") for n in trainable)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    losses = [train_step(model, lr=5e-2) for _ in range(4)]
    assert losses[-1] < losses[0]
    assert all(torch.equal(p, frozen[n]) for n, p in model.named_parameters() if n in frozen)
    assert not torch.allclose(logits_of(model), before)


def test_the_rotation_stays_orthonormal_under_weight_decay(make_args, load_base, batch):
    """torch's orthogonal parametrization (pyreft's) turns R into zeros after one step with weight decay."""
    model = REFT.prepare(load_base(), _reft(make_args, reft_rank=3))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-1, weight_decay=0.1)
    for _ in range(3):
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    r = model.swift_reft["0"].rotation.weight
    torch.testing.assert_close(r.T @ r, torch.eye(3), atol=1e-5, rtol=0)


def test_a_saved_checkpoint_reloads_with_the_same_logits(make_args, load_base, logits_of, train_step, tmp_path):
    model = REFT.prepare(load_base(), _reft(make_args, reft_layers=[1], reft_intervention_type="DireftIntervention"))
    train_step(model, lr=5e-2)
    train_step(model, lr=5e-2)
    REFT.save(model, str(tmp_path))
    saved = json.loads((tmp_path / "reft" / "config.json").read_text())
    assert saved["intervention_type"] == "DireftIntervention" and saved["layers"] == [1]
    reloaded = REFT.load(load_base(), str(tmp_path))
    assert list(reloaded.swift_reft) == ["1"]
    torch.testing.assert_close(logits_of(reloaded), logits_of(model), atol=1e-6, rtol=0)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"reft_args": {"alpha": 1}}, "unknown option"),
        ({"reft_args": {"act_fn": "nope"}}, "not a transformers activation"),
        ({"reft_rank": 0}, "at least 1"),
        ({"reft_layers": [7]}, "layers 0 to 1"),
        ({"reft_layer_key": "model.norm"}, "not a list of layers"),
    ],
)
def test_bad_settings_are_usage_errors(flags, message, make_args, load_base):
    with pytest.raises(UsageError, match=message):
        REFT.prepare(load_base(), _reft(make_args, **flags))


def _swift(*argv, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "swift.cli.main", *argv], capture_output=True, text=True, timeout=600, cwd=cwd
    )


def test_swift_sft_trains_reft_and_infer_and_merge_treat_the_checkpoint_right(base_path, tmp_path):
    """End to end: sft (with gradient checkpointing on) → infer with the checkpoint → merge refused."""
    rows = [
        {"messages": [{"role": "user", "content": "Who are you?"}, {"role": "assistant", "content": "I am swift."}]}
    ]
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows * 8))
    out = tmp_path / "out"
    run = _swift(
        "sft", "--model", str(base_path), "--train_type", "reft", "--dataset", str(data), "--output_dir", str(out),
        "--max_steps", "3", "--save_steps", "3", "--logging_steps", "1", "--split_dataset_ratio", "0",
        "--gradient_checkpointing", "true", "--learning_rate", "1e-2", "--reft_rank", "2",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    [checkpoint] = list(out.glob("*/checkpoint-3"))
    assert (checkpoint / "reft" / "interventions.safetensors").is_file()
    answers = tmp_path / "answers.jsonl"
    run = _swift(
        "infer", "--ckpt_dir", str(checkpoint), "--val_dataset", str(data), "--val_dataset_sample", "1",
        "--max_new_tokens", "4", "--result_path", str(answers),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(answers.read_text().splitlines()[0])["response"] is not None
    run = _swift("merge-lora", "--ckpt_dir", str(checkpoint))
    assert run.returncode == 2 and "reft" in run.stderr
