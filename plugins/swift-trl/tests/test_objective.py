"""The pieces of GRPO on known numbers: advantages, the clipped loss, round sizes, batching."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from swift_trl.grpo.advantages import STD_EPSILON, group_advantages
from swift_trl.grpo.batches import GroupBatchSampler, pad_micro_batch, round_shape
from swift_trl.grpo.loss import ObjectiveSettings, policy_loss

from swift.kernel import UsageError

REWARDS = torch.tensor([1.0, 0.0, 2.0, 3.0, 5.0, 5.0, 5.0, 5.0])  # two groups of four


def test_group_advantages_subtract_the_group_mean_and_divide_by_its_std():
    advantages, group_std = group_advantages(REWARDS, 4, "group")

    std = math.sqrt(((1 - 1.5) ** 2 + 1.5**2 + 0.5**2 + 1.5**2) / 3)  # unbiased, group 1
    expected = [(r - 1.5) / (std + STD_EPSILON) for r in (1.0, 0.0, 2.0, 3.0)] + [0.0] * 4
    assert advantages.tolist() == pytest.approx(expected, abs=1e-6)
    assert group_std.tolist() == pytest.approx([std] * 4 + [0.0] * 4, abs=1e-6)


def test_batch_scaling_divides_by_the_std_of_all_rewards_and_none_does_not_divide():
    batch, _ = group_advantages(REWARDS, 4, "batch")
    plain, _ = group_advantages(REWARDS, 4, "none")

    spread = REWARDS.std().item()
    assert plain.tolist() == pytest.approx([-0.5, -1.5, 0.5, 1.5, 0, 0, 0, 0])
    assert batch.tolist() == pytest.approx([a / (spread + STD_EPSILON) for a in plain.tolist()])


def test_a_single_completion_per_prompt_has_zero_advantage_not_nan():
    advantages, group_std = group_advantages(torch.tensor([3.0, 1.0]), 1)
    assert advantages.tolist() == [0.0, 0.0] and group_std.tolist() == [0.0, 0.0]


def test_unknown_reward_scaling_is_refused():
    with pytest.raises(UsageError, match="scale_rewards"):
        group_advantages(REWARDS, 4, "rank")


def _loss(logps, old, advantages, mask=None, ref=None, **settings):
    logps = torch.tensor(logps, requires_grad=True)
    mask = torch.ones_like(logps) if mask is None else torch.tensor(mask, dtype=torch.float32)
    ref = None if ref is None else torch.tensor(ref)
    return policy_loss(
        logps,
        torch.tensor(old),
        ref,
        torch.tensor(advantages),
        mask,
        ObjectiveSettings(**{"beta": 0.0, **settings}),
    )


def test_on_policy_the_loss_is_minus_the_mean_advantage():
    loss, stats = _loss([[-1.0, -2.0], [-0.5, -0.5]], [[-1.0, -2.0], [-0.5, -0.5]], [2.0, -1.0])
    assert loss.item() == pytest.approx(-(2.0 - 1.0) / 2)
    assert stats["clip_ratio/region_mean"] == 0.0 and "kl" not in stats


def test_the_ratio_is_clipped_at_one_plus_epsilon_high_and_one_minus_epsilon():
    up = math.log(1.5)  # ratio 1.5 with a positive advantage: capped at 1 + 0.28
    loss, stats = _loss([[up]], [[0.0]], [1.0], epsilon_low=0.2, epsilon_high=0.28)
    assert loss.item() == pytest.approx(-1.28)
    assert stats["clip_ratio/high_mean"] == 1.0

    down = math.log(0.5)  # ratio 0.5 with a negative advantage: held at 1 - 0.2
    loss, stats = _loss([[down]], [[0.0]], [-1.0], epsilon_low=0.2, epsilon_high=0.28)
    assert loss.item() == pytest.approx(0.8)
    assert stats["clip_ratio/low_mean"] == 1.0


def test_the_kl_term_is_zero_at_the_reference_and_positive_away_from_it():
    same, stats = _loss([[-1.0]], [[-1.0]], [0.0], ref=[[-1.0]], beta=0.5)
    assert same.item() == pytest.approx(0.0) and stats["kl"] == pytest.approx(0.0)
    away, stats = _loss([[-1.0]], [[-1.0]], [0.0], ref=[[-2.0]], beta=0.5)
    kl = math.exp(-1.0) + 1.0 - 1.0  # exp(ref - logp) - (ref - logp) - 1
    assert stats["kl"] == pytest.approx(kl) and away.item() == pytest.approx(0.5 * kl)


def test_loss_types_average_over_sequences_tokens_or_a_fixed_length():
    logps = [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    mask = [[1, 1, 1], [1, 0, 0]]
    advantages = [1.0, -3.0]
    grpo, _ = _loss(logps, logps, advantages, mask, loss_type="grpo")
    bnpo, _ = _loss(logps, logps, advantages, mask, loss_type="bnpo")
    dr, _ = _loss(logps, logps, advantages, mask, loss_type="dr_grpo", max_completion_length=4)
    assert grpo.item() == pytest.approx((-1.0 + 3.0) / 2)  # each completion counts once
    assert bnpo.item() == pytest.approx((-3 * 1.0 + 3.0) / 4)  # each token counts once
    assert dr.item() == pytest.approx((-3 * 1.0 + 3.0) / (2 * 4))


def test_gradients_flow_only_through_trained_tokens():
    logps = torch.zeros(1, 3, requires_grad=True)
    mask = torch.tensor([[0.0, 1.0, 1.0]])
    loss, _ = policy_loss(logps, logps.detach(), None, torch.tensor([1.0]), mask, ObjectiveSettings(beta=0.0))
    loss.backward()
    assert logps.grad[0, 0] == 0 and (logps.grad[0, 1:] != 0).all()


def _args(**values):
    base = dict(
        num_generations=4,
        per_device_train_batch_size=4,
        generation_batch_size=None,
        steps_per_generation=None,
        gradient_accumulation_steps=2,
        num_iterations=1,
    )
    return SimpleNamespace(**{**base, **values})


def test_a_round_holds_batch_times_accumulation_completions_by_default():
    shape = round_shape(_args())
    assert (shape.prompts, shape.steps, shape.completions) == (2, 2, 8)
    assert round_shape(_args(generation_batch_size=16), world_size=2).steps == 2
    with pytest.raises(UsageError, match="multiple of --num_generations 4"):
        round_shape(_args(per_device_train_batch_size=3, gradient_accumulation_steps=1))


def test_the_sampler_repeats_each_block_and_gives_each_rank_its_own_blocks():
    ranks = [list(GroupBatchSampler(10, 2, 3, seed=1, rank=r, world=2)) for r in (0, 1)]
    for batches in ranks:
        assert len(batches) == 2 * 3  # 10 // (2 × 2) rounds, each yielded 3 times
        assert batches[0] == batches[1] == batches[2] != batches[3]
    seen = [i for batches in ranks for block in batches[::3] for i in block]
    assert len(seen) == len(set(seen)) == 8


def test_micro_batches_are_right_padded_and_start_at_the_first_completion_token():
    batch = pad_micro_batch([[5, 6, 7, 8], [5, 9]], [[0, 0, 1, 1], [0, 1]], pad_id=0)
    assert batch["input_ids"].tolist() == [[5, 6, 7, 8], [5, 9, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 0, 0]]
    assert batch["completion_mask"].tolist() == [[0, 0, 1, 1], [0, 1, 0, 0]]
    assert batch["start"] == 1


def test_a_completion_every_reward_skipped_is_left_out_of_its_group_and_gets_advantage_zero():
    from swift_trl.grpo.advantages import score_completions

    def sometimes(completions, **columns):
        return [None if c == "skip" else float(len(c)) for c in completions]

    completions = ["a", "skip", "abc", "ab"]
    per_reward, totals = score_completions([sometimes], None, completions, {})
    assert math.isnan(totals[1].item()) and totals[0].item() == 1.0

    advantages, group_std = group_advantages(totals, 4, "group")
    # the baseline is the mean of 1, 3 and 2 (not of 1, 0, 3, 2), the spread their std (1.0)
    expected = torch.tensor([-1.0, 0.0, 1.0, 0.0]) / (1.0 + STD_EPSILON)
    expected[1] = 0.0
    torch.testing.assert_close(advantages, expected)
    assert group_std[0].item() == pytest.approx(1.0)
