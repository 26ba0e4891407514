"""``--sequence_parallel_size N`` with more processes than N: data-parallel groups of N ranks.

The trainings themselves (4 processes against 2 plain data-parallel ones) are in
tests/e2e/test_train_cli.py; here the batch sharding and the checks that come before a run.
"""

from __future__ import annotations

import pytest
from swift_transformers.train.sequence_parallel import GroupBatches


def test_each_group_takes_every_other_batch_and_the_last_round_is_filled_from_the_start():
    batches = [[0, 1], [2, 3], [4, 5], [6, 7], [8]]
    first, second = (GroupBatches(batches, index, 2) for index in (0, 1))
    assert list(first) == [[0, 1], [4, 5], [8]]
    assert list(second) == [[2, 3], [6, 7], [0, 1]]  # same number of steps in every group
    assert len(first) == len(second) == 3
    assert list(GroupBatches(batches, 0, 1)) == batches
    assert list(GroupBatches([], 1, 2)) == []


@pytest.mark.parametrize(
    ("world", "extra", "message"),
    [
        ("1", {}, "needs a multiple of 2 processes: launch with NPROC_PER_NODE=2 .*this run has 1"),
        ("3", {}, "needs a multiple of 2 processes"),
        ("4", {"streaming": True}, "the 2 data-parallel groups split a map-style dataset, not a --streaming one"),
    ],
)
def test_process_counts_that_do_not_form_groups_are_refused_first(
    train_args, sft, tmp_path, monkeypatch, world, extra, message
):
    from swift.kernel import UsageError

    monkeypatch.setenv("WORLD_SIZE", world)
    with pytest.raises(UsageError, match=message):
        sft(train_args(sequence_parallel_size=2, padding_free=True, output_dir=str(tmp_path / "out"), **extra))
    assert not (tmp_path / "out").exists()
