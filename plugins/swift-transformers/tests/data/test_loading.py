"""--dataset specs: sampling, repetition, several datasets, splits, streaming, hub ids."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from swift_transformers.data.loading import load_datasets
from swift_transformers.data.spec import parse_dataset_spec

from swift.kernel import UsageError


def _rows(n: int, prefix: str = "q") -> list[dict]:
    return [{"query": f"{prefix}{i}", "response": f"answer {i}"} for i in range(n)]


def _queries(dataset) -> list[str]:
    return [m[0]["content"] for m in dataset["messages"]]


def test_spec_syntax_splits_id_subsets_and_count():
    spec = parse_dataset_spec("AI-ModelScope/alpaca-gpt4-data-zh:default/extra#500")

    assert (spec.name, spec.subsets, spec.n, spec.is_path) == (
        "AI-ModelScope/alpaca-gpt4-data-zh",
        ("default", "extra"),
        500,
        False,
    )
    assert parse_dataset_spec("self-cognition").n is None


def test_an_existing_path_wins_over_the_spec_syntax(tmp_path):
    odd = tmp_path / "v1:final#2.jsonl"
    odd.write_text("{}\n")

    whole = parse_dataset_spec(str(odd))
    counted = parse_dataset_spec(f"{odd}#7")

    assert (whole.name, whole.subsets, whole.n, whole.is_path) == (str(odd), (), None, True)
    assert (counted.name, counted.n, counted.is_path) == (str(odd), 7, True)


def test_subsets_on_a_local_path_are_refused(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_text("{}\n")

    with pytest.raises(UsageError, match="subsets .* not to the local path"):
        parse_dataset_spec(f"{path}:train")


@pytest.mark.parametrize("raw", ["data.jsonl#0", "data.jsonl#many", "data.jsonl#-3"])
def test_a_bad_sample_count_is_a_usage_error(raw):
    with pytest.raises(UsageError, match="positive integer"):
        parse_dataset_spec(raw)


def test_count_smaller_than_the_data_takes_a_seeded_random_sample(write, make_args):
    path = write("data.jsonl", _rows(20))

    first, _ = load_datasets(make_args(dataset=[f"{path}#5"]))
    again, _ = load_datasets(make_args(dataset=[f"{path}#5"]))
    other_seed, _ = load_datasets(make_args(dataset=[f"{path}#5"], data_seed=7))

    assert len(first) == 5 and len(set(_queries(first))) == 5
    assert set(_queries(first)) <= {f"q{i}" for i in range(20)}
    assert _queries(first) == _queries(again)
    assert _queries(first) != _queries(other_seed)
    assert _queries(first) != [f"q{i}" for i in range(5)]  # a sample, not the head


def test_count_larger_than_the_data_repeats_it(write, make_args):
    path = write("data.jsonl", _rows(3))

    train, _ = load_datasets(make_args(dataset=[f"{path}#8"]))

    counts = Counter(_queries(train))
    assert len(train) == 8
    assert sorted(counts.values()) == [2, 3, 3]  # two whole copies, then 2 of the 3 rows


def test_several_datasets_are_concatenated_in_order(write, make_args):
    a = write("a.jsonl", _rows(2, "a"))
    b = write("b.csv", _rows(3, "b"))
    c = write("c.json", _rows(1, "c"))

    train, _ = load_datasets(make_args(dataset=[a, b, f"{c}#2"]))

    assert _queries(train) == ["a0", "a1", "b0", "b1", "b2", "c0", "c0"]


def test_several_processes_preprocess_like_one(write, make_args, warnings_of):
    rows = [*_rows(30), {"query": "no answer"}, *_rows(9, "z")]
    path = write("data.csv", rows)

    one, _ = load_datasets(make_args(dataset=[path]))
    two, _ = load_datasets(make_args(dataset=[path], dataset_num_proc=2))

    assert two[:] == one[:] and len(two) == 39
    assert [w.split(": row")[0] for w in warnings_of()] == [f"dropped 1 of 40 rows from {path}"] * 2


def test_split_ratio_holds_out_a_seeded_validation_set(write, make_args):
    path = write("data.jsonl", _rows(100))

    train, val = load_datasets(make_args(dataset=[path], split_dataset_ratio=0.1))
    train2, val2 = load_datasets(make_args(dataset=[path], split_dataset_ratio=0.1))

    assert (len(train), len(val)) == (90, 10)
    assert set(_queries(train)) | set(_queries(val)) == {f"q{i}" for i in range(100)}
    assert not set(_queries(train)) & set(_queries(val))
    assert _queries(val) == _queries(val2)


def test_default_split_ratio_keeps_at_least_one_validation_row(write, make_args):
    from swift.arguments import TrainArguments

    path = write("data.jsonl", _rows(10))

    train, val = load_datasets(TrainArguments(dataset=[path]))  # split_dataset_ratio 0.01

    assert (len(train), len(val)) == (9, 1)


def test_split_ratio_zero_gives_no_validation_set(write, make_args):
    train, val = load_datasets(make_args(dataset=[write("d.jsonl", _rows(10))], split_dataset_ratio=0))

    assert len(train) == 10 and val is None


def test_val_dataset_is_loaded_and_the_training_set_is_not_split(write, make_args):
    from swift.arguments import TrainArguments

    train_path, val_path = write("train.jsonl", _rows(10, "t")), write("val.jsonl", _rows(3, "v"))

    train, val = load_datasets(TrainArguments(dataset=[train_path], val_dataset=[val_path]))

    assert len(train) == 10
    assert _queries(val) == ["v0", "v1", "v2"]


def test_streaming_gives_an_iterable_dataset_with_the_same_rows(write, make_args):
    from datasets import IterableDataset

    path = write("data.jsonl", [*_rows(4), {"query": "bad"}])

    train, val = load_datasets(make_args(dataset=[path], streaming=True))
    head, _ = load_datasets(make_args(dataset=[f"{path}#2"], streaming=True))

    assert isinstance(train, IterableDataset) and val is None
    assert [row["messages"][0]["content"] for row in train] == ["q0", "q1", "q2", "q3"]
    assert [row["messages"][0]["content"] for row in head] == ["q0", "q1"]


def test_streaming_a_csv_file(write, make_args):
    path = write("data.csv", _rows(3))

    train, _ = load_datasets(make_args(dataset=[path], streaming=True))

    assert [row["messages"][1]["content"] for row in train] == ["answer 0", "answer 1", "answer 2"]


def test_a_hub_id_fails_fast_offline_naming_the_id(make_args):
    with pytest.raises(UsageError) as excinfo:
        load_datasets(make_args(dataset=["no-such-org/no-such-dataset:main#10"]))

    assert "'no-such-org/no-such-dataset'" in str(excinfo.value)
    assert "not a local file" in str(excinfo.value)


def test_a_misspelled_named_dataset_gets_a_suggestion(make_args):
    with pytest.raises(UsageError, match="Did you mean 'self-cognition'"):
        load_datasets(make_args(dataset=["self-cogniton"]))


def test_a_missing_local_file_is_reported_as_such(make_args, tmp_path):
    with pytest.raises(UsageError, match="dataset file or folder not found: .*missing.jsonl"):
        load_datasets(make_args(dataset=[str(tmp_path / "missing.jsonl")]))


def test_an_unsupported_file_type_lists_the_supported_ones(tmp_path, make_args):
    path = tmp_path / "data.xml"
    path.write_text("<rows/>")

    with pytest.raises(UsageError, match=r"unsupported file type '\.xml'; supported: \.csv, \.json, \.jsonl"):
        load_datasets(make_args(dataset=[str(path)]))


def test_no_dataset_at_all_is_a_usage_error(make_args):
    with pytest.raises(UsageError, match="no dataset given"):
        load_datasets(make_args())


def test_custom_dataset_info_registers_a_name_with_its_column_mapping(tmp_path, write, make_args, plain):
    write("raw/support.jsonl", [{"question": "Reset password?", "answer": "Use the link."}])
    info = tmp_path / "dataset_info.json"
    info.write_text(
        json.dumps(
            [
                {
                    "dataset_name": "support",
                    "dataset_path": "raw/support.jsonl",
                    "columns": {"question": "query", "answer": "response"},
                }
            ]
        )
    )

    train, _ = load_datasets(make_args(dataset=["support#2"], custom_dataset_info=[str(info)]))

    assert plain(train["messages"][0]) == [
        {"role": "user", "content": "Reset password?"},
        {"role": "assistant", "content": "Use the link."},
    ]
    assert len(train) == 2
