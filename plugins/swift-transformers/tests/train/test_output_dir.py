"""Run folders: every run gets its own, and no run writes into another's."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_two_runs_with_one_output_dir_get_different_versions(train_args, sft):
    first = sft(train_args(max_steps=1, save_steps=1))
    second = sft(train_args(max_steps=1, save_steps=1))

    assert first["output_dir"] != second["output_dir"]
    assert Path(first["output_dir"]).parent == Path(second["output_dir"]).parent
    assert Path(first["output_dir"]).name.startswith("v0-") and Path(second["output_dir"]).name.startswith("v1-")
    assert (Path(first["output_dir"]) / "checkpoint-1").is_dir() and (
        Path(second["output_dir"]) / "checkpoint-1"
    ).is_dir()


def test_without_add_version_a_non_empty_folder_is_refused(train_args, sft, tmp_path):
    from swift.arguments import ArgumentError

    target = tmp_path / "fixed"
    first = sft(train_args(max_steps=1, save_steps=1, output_dir=str(target), add_version=False))
    assert first["output_dir"] == str(target)

    with pytest.raises(ArgumentError, match="already holds another run"):
        sft(train_args(max_steps=1, save_steps=1, output_dir=str(target), add_version=False))
