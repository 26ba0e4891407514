"""``--packing``: samples share rows without seeing each other, so the loss is unchanged."""

from __future__ import annotations

import pytest
import torch
from swift_transformers.train.collator import PaddingCollator, pack_samples, plan_packs


def test_plan_packs_fills_rows_without_exceeding_max_length():
    lengths = [5, 9, 3, 7, 1, 10, 2]

    packs = plan_packs(lengths, max_length=10)

    assert sorted(i for p in packs for i in p) == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in p) <= 10 for p in packs)
    assert len(packs) == 4  # 37 tokens need at least 4 rows of 10


def test_plan_packs_rejects_a_sample_longer_than_a_row():
    with pytest.raises(ValueError, match="max_length=4"):
        plan_packs([3, 5], max_length=4)


def test_a_packed_row_restarts_positions_and_never_trains_across_samples():
    row = pack_samples(
        [
            {"input_ids": [1, 2, 3], "labels": [-100, 2, 3]},
            {"input_ids": [4, 5], "labels": [4, 5]},
        ]
    )

    assert row["input_ids"] == [1, 2, 3, 4, 5]
    assert row["position_ids"] == [0, 1, 2, 0, 1]
    # token 3 must not learn to predict token 4 of the next sample
    assert row["labels"] == [-100, 2, 3, -100, 5]


def test_collator_pads_packed_rows_with_positions_and_no_attention_mask():
    batch = PaddingCollator(pad_token_id=0)(
        [
            {"input_ids": [1, 2, 3], "labels": [-100, 2, 3], "position_ids": [0, 1, 2]},
            {"input_ids": [4], "labels": [-100], "position_ids": [0]},
        ]
    )

    assert "attention_mask" not in batch
    assert batch["position_ids"].tolist() == [[0, 1, 2], [0, 0, 1]]
    assert batch["labels"].tolist() == [[-100, 2, 3], [-100, -100, -100]]


def test_collator_pads_plain_rows_with_an_attention_mask():
    batch = PaddingCollator(pad_token_id=9)(
        [{"input_ids": [1, 2], "labels": [-100, 2]}, {"input_ids": [3], "labels": [3]}]
    )

    assert batch["input_ids"].tolist() == [[1, 2], [3, 9]]
    assert batch["attention_mask"].tolist() == [[1, 1], [1, 0]]
    assert batch["labels"].tolist() == [[-100, 2], [3, -100]]


def test_the_model_sees_packed_samples_as_separate_sequences(tiny_model_dir):
    """The mechanism the packing relies on: transformers' block-diagonal mask from position_ids."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    model.config.use_cache = False
    samples = [{"input_ids": list(range(10, 10 + n)), "labels": list(range(10, 10 + n))} for n in (7, 4, 9)]
    collate = PaddingCollator(pad_token_id=0)
    with torch.no_grad():
        plain = model(**collate(samples)).loss
        packed_batch = collate([pack_samples(samples)])
        packed = model(**packed_batch).loss
        packed_batch.pop("position_ids")
        leaking = model(**packed_batch).loss  # one long sequence: later samples attend to earlier ones

    assert torch.allclose(plain, packed, atol=1e-5)
    assert not torch.allclose(plain, leaking, atol=1e-3)


# lazy_tokenize: the rows are planned from lengths measured up front and encoded when loaded
@pytest.mark.parametrize("lazy_tokenize", [False, True])
def test_packing_trains_with_the_same_losses_as_padded_batches(
    lazy_tokenize, train_args, sft, loss_logs, chat_file, tmp_path, capsys
):
    common = dict(dataset=[f"{chat_file}#8"], max_steps=3, save_steps=3, max_length=1024)
    padded = sft(train_args(per_device_train_batch_size=8, output_dir=str(tmp_path / "padded"), **common))
    packed = sft(
        train_args(
            packing=True,
            lazy_tokenize=lazy_tokenize,
            per_device_train_batch_size=1,
            output_dir=str(tmp_path / "packed"),
            **common,
        )
    )
    assert "packed 8 samples into 1 rows of <= 1024 tokens" in capsys.readouterr().err

    padded_losses = [r["loss"] for r in loss_logs(padded["output_dir"])]
    packed_losses = [r["loss"] for r in loss_logs(packed["output_dir"])]
    # 8 samples fit one packed row: each step sees the same samples both ways
    assert len(packed_losses) == len(padded_losses) == 3
    assert packed_losses == pytest.approx(padded_losses, abs=1e-4)
