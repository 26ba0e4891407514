"""Mixture-of-experts training: ``--router_aux_loss_coef`` and routers left out of ``all-linear``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SMALL_MOE = {"num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32}


@pytest.fixture(scope="module")
def moe_dirs(tmp_path_factory) -> dict[str, str]:
    from swift_sdk.tiny import build_tiny_model

    root = tmp_path_factory.mktemp("moe")
    overrides = {"qwen3_moe": SMALL_MOE, "qwen2_moe": {**SMALL_MOE, "shared_expert_intermediate_size": 32}}
    return {arch: str(build_tiny_model(root / arch, arch, config_overrides=extra)) for arch, extra in overrides.items()}


def test_the_router_loss_is_added_with_its_weight(moe_dirs, train_args, sft, loss_logs, tmp_path):
    losses = {}
    for coef in (0.0, 0.5, 1.0):
        run = sft(train_args(model=moe_dirs["qwen3_moe"], router_aux_loss_coef=coef, max_steps=1,
                             output_dir=str(tmp_path / str(coef))))  # fmt: skip
        losses[coef] = loss_logs(run["output_dir"])[0]["loss"]
    aux = losses[1.0] - losses[0.0]
    assert aux > 0.1  # the load-balancing loss of 4 experts, top-2, is about 1 when balanced
    assert losses[0.5] - losses[0.0] == pytest.approx(aux / 2, rel=1e-3)


def test_a_dense_model_has_no_router_loss(train_args, sft):
    from swift.kernel import UsageError

    with pytest.raises(UsageError, match="has no router"):
        sft(train_args(router_aux_loss_coef=0.01))


def test_all_linear_leaves_the_routers_out(moe_dirs, train_args, sft, tmp_path):
    run = sft(train_args(model=moe_dirs["qwen2_moe"], max_steps=1, save_steps=1))
    config = json.loads((Path(run["last_model_checkpoint"]) / "adapter_config.json").read_text())
    targets = set(config["target_modules"])
    assert {"q_proj", "gate_proj", "down_proj"} <= targets  # attention and the shared expert
    assert not targets & {"shared_expert_gate", "gate", "router"}
    named = sft(train_args(model=moe_dirs["qwen2_moe"], max_steps=1, save_steps=1, target_modules=["shared_expert_gate"],
                           output_dir=str(tmp_path / "named")))  # fmt: skip
    config = json.loads((Path(named["last_model_checkpoint"]) / "adapter_config.json").read_text())
    assert config["target_modules"] == ["shared_expert_gate"]  # asked for by name: adapted
