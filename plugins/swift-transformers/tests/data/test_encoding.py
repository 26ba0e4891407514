"""encode_dataset: input_ids / labels / length; rejected rows dropped, raised or replaced."""

from __future__ import annotations

import pytest
from swift_transformers.data.encoding import LazyEncodedDataset, encode_dataset
from swift_transformers.data.loading import load_datasets

from swift.kernel import UsageError

SHORT = {"query": "hi", "response": "hello"}
LONG = {"query": "please " * 30, "response": "sure " * 30}


@pytest.fixture
def strict_length_template(tokenizer):
    from swift.template import get_template

    return get_template("chatml", tokenizer, max_length=40, truncation_strategy="delete")


def _load(write, make_args, rows, **kwargs):
    args = make_args(dataset=[write("data.jsonl", rows)], **kwargs)
    return load_datasets(args)[0], args


def test_encoded_rows_have_ids_labels_and_length(write, make_args, chatml, tokenizer):
    train, args = _load(write, make_args, [SHORT, {"query": "2+2?", "response": "4"}])

    encoded = encode_dataset(train, chatml, args)

    assert encoded.column_names == ["input_ids", "labels", "length"]
    assert encoded["length"] == [len(ids) for ids in encoded["input_ids"]]
    assert tokenizer.decode(encoded[1]["input_ids"]) == (
        "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n"
    )
    assert tokenizer.decode([t for t in encoded[1]["labels"] if t != -100]) == "4<|im_end|>"


def test_too_long_rows_are_dropped_and_counted(write, make_args, strict_length_template, warnings_of):
    train, args = _load(write, make_args, [SHORT, LONG, SHORT])

    encoded = encode_dataset(train, strict_length_template, args)

    assert len(encoded) == 2
    [warning] = warnings_of()
    assert warning.startswith("dropped 1 of 3 rows from the dataset: row 2: row has ")
    assert "max_length=40" in warning and "encoding" in warning
    assert "(row starting 'please please please" in warning  # findable after shuffling


def test_strict_raises_on_the_first_rejected_row(write, make_args, strict_length_template):
    train, args = _load(write, make_args, [SHORT, SHORT, LONG], strict=True)

    with pytest.raises(UsageError, match="row 3: row has .* max_length=40"):
        encode_dataset(train, strict_length_template, args)


def test_every_row_rejected_is_an_error(write, make_args, strict_length_template):
    train, args = _load(write, make_args, [LONG, LONG])

    with pytest.raises(UsageError, match="no usable rows .*dropped 2 of 2 rows"):
        encode_dataset(train, strict_length_template, args)


def test_several_processes_encode_the_same_rows(write, make_args, chatml):
    rows = [{"query": f"question {i}", "response": f"answer {i}"} for i in range(12)]
    train, args = _load(write, make_args, rows)
    _, args2 = _load(write, make_args, rows, dataset_num_proc=2)

    assert encode_dataset(train, chatml, args2)[:] == encode_dataset(train, chatml, args)[:]


def test_lazy_tokenize_encodes_on_access(write, make_args, chatml):
    from torch.utils.data import DataLoader, Dataset

    train, args = _load(write, make_args, [SHORT, {"query": "2+2?", "response": "4"}], lazy_tokenize=True)

    lazy = encode_dataset(train, chatml, args)

    assert isinstance(lazy, LazyEncodedDataset) and isinstance(lazy, Dataset)
    assert len(lazy) == 2
    eager = encode_dataset(train, chatml, make_args(dataset=args.dataset))
    assert [lazy[i] for i in range(2)] == [eager[i] for i in range(2)]
    assert len(list(DataLoader(lazy, batch_size=None))) == 2


def test_lazy_tokenize_replaces_a_rejected_row_and_counts_it(write, make_args, strict_length_template):
    train, args = _load(write, make_args, [SHORT, LONG, LONG], lazy_tokenize=True)
    lazy = encode_dataset(train, strict_length_template, args)

    item = lazy[1]

    assert item == strict_length_template.encode(train[0]) | {"length": len(item["input_ids"])}
    assert lazy.dropped >= 1
    assert lazy[1] == item  # the replacement is deterministic


def test_lazy_tokenize_with_strict_raises(write, make_args, strict_length_template):
    train, args = _load(write, make_args, [SHORT, LONG], lazy_tokenize=True, strict=True)

    with pytest.raises(UsageError, match="row 2: row has"):
        encode_dataset(train, strict_length_template, args)[1]


def test_streaming_rows_are_encoded_as_they_come(write, make_args, strict_length_template):
    train, args = _load(write, make_args, [SHORT, LONG, SHORT], streaming=True)

    encoded = list(encode_dataset(train, strict_length_template, args))

    assert len(encoded) == 2
    assert encoded[0] == strict_length_template.encode(
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
    ) | {"length": len(encoded[0]["input_ids"])}
