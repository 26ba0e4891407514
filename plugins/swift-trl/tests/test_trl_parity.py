"""Our GRPO objective against trl's own loss code, over a step of unequal micro-batches.

trl's ``GRPOTrainer._compute_loss`` is called on a stand-in trainer (the attributes
it reads, nothing else), with the per-token log-probabilities given instead of a
model. Both sides see one optimizer step of two micro-batches with different token
counts and gradient accumulation 2; our loss is divided by the accumulation steps as
the transformers Trainer does (``model_accepts_loss_kwargs = False``), trl's is not
(it scales for accumulation itself). Losses and gradients must agree.
"""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

import pytest
import torch
from swift_trl.grpo.loss import ObjectiveSettings, policy_loss
from trl import GRPOTrainer

GA = 2
MAX_LEN = 8


class _Accelerator:
    num_processes = 1
    sync_gradients = False

    def gather(self, x):
        return x.reshape(-1) if torch.is_tensor(x) else torch.tensor([x])

    gather_for_metrics = gather

    def reduce(self, x, reduction="sum"):
        return x


def _trl_stub(loss_type: str, beta: float, logps: torch.Tensor) -> SimpleNamespace:
    stub = SimpleNamespace(
        loss_type=loss_type,
        beta=beta,
        epsilon_low=0.2,
        epsilon_high=0.28,
        importance_sampling_level="token",
        top_entropy_quantile=1.0,
        off_policy_mask_threshold=None,
        use_vllm=False,
        vllm_importance_sampling_correction=False,
        current_gradient_accumulation_steps=GA,
        max_completion_length=MAX_LEN,
        aux_loss_enabled=False,
        _entropy_bonus_enabled=False,
        use_adaptive_entropy=False,
        accelerator=_Accelerator(),
        model=SimpleNamespace(training=True),
        args=SimpleNamespace(use_bias_correction_kl=False, delta=None, steps_per_generation=GA),
        _metrics=defaultdict(lambda: defaultdict(list)),
    )

    def per_token_logps(model, input_ids, attention_mask, logits_to_keep, **kwargs):
        # the model's log-probabilities of the completion tokens, given directly
        return logps, torch.zeros_like(logps), None

    stub._get_per_token_logps_and_entropies = per_token_logps
    return stub


def _micro_batches():
    gen = torch.Generator().manual_seed(0)
    lengths = [[8, 3], [5, 8]]  # 11 and 13 trained tokens: unequal micro-batches
    batches = []
    for rows in lengths:
        mask = torch.zeros(len(rows), MAX_LEN)
        for i, n in enumerate(rows):
            mask[i, :n] = 1
        batches.append(
            {
                "mask": mask,
                "base": -torch.rand(len(rows), MAX_LEN, generator=gen) * 2,
                "old": -torch.rand(len(rows), MAX_LEN, generator=gen) * 2,
                "ref": -torch.rand(len(rows), MAX_LEN, generator=gen) * 2,
                "advantages": torch.randn(len(rows), generator=gen),
            }
        )
    return batches


@pytest.mark.parametrize("beta", [0.0, 0.04], ids=["no-kl", "kl"])
@pytest.mark.parametrize("loss_type", ["grpo", "bnpo", "dr_grpo", "dapo"])
def test_every_loss_type_equals_trls_loss_and_gradients_over_unequal_micro_batches(loss_type, beta):
    batches = _micro_batches()
    round_tokens = sum(b["mask"].sum().item() for b in batches)

    ours_theta = torch.zeros(MAX_LEN, requires_grad=True)
    trl_theta = torch.zeros(MAX_LEN, requires_grad=True)
    settings = ObjectiveSettings(
        epsilon_low=0.2, epsilon_high=0.28, beta=beta, loss_type=loss_type, max_completion_length=MAX_LEN
    )
    ours_total = trl_total = 0.0
    for b in batches:
        # ours: what GRPOTrainer.compute_loss returns, then the Trainer's division by GA
        logps = b["base"] + ours_theta
        loss, _ = policy_loss(
            logps,
            b["old"],
            b["ref"] if beta else None,
            b["advantages"],
            b["mask"],
            settings,
            round_tokens / len(batches),
        )
        (loss / GA).backward()
        ours_total += (loss / GA).item()

        # trl: its own _compute_loss, which already scales for accumulation
        completion_ids = torch.zeros(b["mask"].shape, dtype=torch.long)
        inputs = {
            "prompt_ids": torch.zeros(b["mask"].shape[0], 1, dtype=torch.long),
            "prompt_mask": torch.ones(b["mask"].shape[0], 1, dtype=torch.long),
            "completion_ids": completion_ids,
            "completion_mask": b["mask"].long(),
            "advantages": b["advantages"],
            "old_per_token_logps": b["old"],
            "ref_per_token_logps": b["ref"],
            "num_items_in_batch": torch.tensor(round_tokens),
        }
        stub = _trl_stub(loss_type, beta, b["base"] + trl_theta)
        trl_loss = GRPOTrainer._compute_loss(stub, None, inputs)
        trl_loss.backward()
        trl_total += trl_loss.item()

    assert ours_total == pytest.approx(trl_total, abs=1e-6)
    torch.testing.assert_close(ours_theta.grad, trl_theta.grad, atol=1e-5, rtol=0)


def test_dapo_differs_from_bnpo_when_micro_batches_have_unequal_token_counts():
    batches = _micro_batches()
    round_tokens = sum(b["mask"].sum().item() for b in batches)

    def step(loss_type):
        total = 0.0
        for b in batches:
            settings = ObjectiveSettings(beta=0.0, loss_type=loss_type)
            loss, _ = policy_loss(b["base"], b["old"], None, b["advantages"], b["mask"], settings, round_tokens / 2)
            total += loss.item() / GA
        return total

    assert step("dapo") != pytest.approx(step("bnpo"), abs=1e-6)
