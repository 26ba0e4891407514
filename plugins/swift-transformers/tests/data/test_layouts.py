"""Every supported row layout and file format gives the same conversation and tokens."""

from __future__ import annotations

import json

import pytest
from swift_transformers.data.encoding import encode_dataset
from swift_transformers.data.loading import load_datasets

SYSTEM = "You are a calculator."
EXPECTED = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": "What is one plus one?"},
    {"role": "assistant", "content": "Two."},
    {"role": "user", "content": "Add the numbers\n1 2"},
    {"role": "assistant", "content": "3"},
]

LAYOUTS = {
    "alpaca": {
        "system": SYSTEM,
        "history": [["What is one plus one?", "Two."]],
        "instruction": "Add the numbers",
        "input": "1 2",
        "output": "3",
    },
    "query_response_history": {
        "system": SYSTEM,
        "history": [["What is one plus one?", "Two."]],
        "query": "Add the numbers\n1 2",
        "response": "3",
    },
    "sharegpt": {
        "conversations": [
            {"from": "system", "value": SYSTEM},
            {"from": "human", "value": "What is one plus one?"},
            {"from": "gpt", "value": "Two."},
            {"from": "human", "value": "Add the numbers\n1 2"},
            {"from": "gpt", "value": "3"},
        ]
    },
    "sharegpt_pairs": {
        "system": SYSTEM,
        "conversation": [
            {"human": "What is one plus one?", "assistant": "Two."},
            {"human": "Add the numbers\n1 2", "assistant": "3"},
        ],
    },
    "messages": {"messages": EXPECTED},
    "messages_with_system_column": {"system": SYSTEM, "messages": EXPECTED[1:]},
}


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])  # read in Python / as an arrow table
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_each_layout_gives_the_same_messages_and_the_same_tokens(
    layout, suffix, write, make_args, chatml, tokenizer, plain
):
    path = write(f"{layout}.{suffix}", [LAYOUTS[layout]])
    args = make_args(dataset=[path])

    train, val = load_datasets(args)

    assert val is None
    assert plain(train["messages"][0]) == EXPECTED
    encoded = encode_dataset(train, chatml, args)[0]
    assert encoded["input_ids"] == chatml.encode({"messages": EXPECTED})["input_ids"]
    assert encoded["labels"] == chatml.encode({"messages": EXPECTED})["labels"]
    assert encoded["length"] == len(encoded["input_ids"])
    # the loss covers the answers, not the prompt
    assert tokenizer.decode([t for t in encoded["labels"] if t != -100]) == "Two.<|im_end|>3<|im_end|>"


ROWS = [
    {"query": "hello", "response": "hi"},
    {"query": "2 + 2?", "response": "4"},
    {"query": "Name a colour.", "response": "Blue."},
]
EXPECTED_ROWS = [
    [{"role": "user", "content": r["query"]}, {"role": "assistant", "content": r["response"]}] for r in ROWS
]


@pytest.mark.parametrize("name", ["data.jsonl", "data.json", "data.csv", "data.parquet"])
def test_file_formats_read_the_same_rows(name, write, make_args, plain):
    path = write(name, ROWS)

    train, _ = load_datasets(make_args(dataset=[path]))

    assert plain(list(train["messages"])) == EXPECTED_ROWS


def test_json_file_may_wrap_rows_in_data_or_hold_json_lines(tmp_path, make_args, plain):
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"data": ROWS}))
    lines = tmp_path / "lines.json"
    lines.write_text("\n".join(json.dumps(r) for r in ROWS))

    for path in (wrapped, lines):
        train, _ = load_datasets(make_args(dataset=[str(path)]))
        assert plain(list(train["messages"])) == EXPECTED_ROWS


def test_folder_reads_every_supported_file_inside(tmp_path, write, make_args):
    write("corpus/a.jsonl", ROWS[:1])
    write("corpus/sub/b.csv", ROWS[1:2])
    write("corpus/c.json", ROWS[2:])
    (tmp_path / "corpus" / "README.md").write_text("not data")

    train, _ = load_datasets(make_args(dataset=[str(tmp_path / "corpus")]))

    assert sorted(m[0]["content"] for m in train["messages"]) == sorted(r["query"] for r in ROWS)


def test_txt_lines_become_pretraining_samples(tmp_path, make_args, plain):
    path = tmp_path / "corpus.txt"
    path.write_text("The first document.\n\nThe second document.\n", encoding="utf-8")

    train, _ = load_datasets(make_args(dataset=[str(path)]))

    assert plain(list(train["messages"])) == [
        [{"role": "assistant", "content": "The first document."}],
        [{"role": "assistant", "content": "The second document."}],
    ]


def test_text_column_is_pretraining_data(write, make_args, plain):
    path = write("pt.jsonl", [{"text": "Plain text to learn."}])

    train, _ = load_datasets(make_args(dataset=[path]))

    assert plain(train["messages"][0]) == [{"role": "assistant", "content": "Plain text to learn."}]


def test_column_mapping_from_the_command_line(write, make_args, plain):
    path = write("mapped.csv", [{"src": "bonjour", "tgt": "hello", "id": "7"}])

    train, _ = load_datasets(make_args(dataset=[path], columns='{"src": "query", "tgt": "response"}'))

    assert plain(train[0]["messages"]) == [
        {"role": "user", "content": "bonjour"},
        {"role": "assistant", "content": "hello"},
    ]
    assert train[0]["id"] == 7  # csv types are inferred; unmapped columns are kept


def test_extra_columns_are_kept_beside_messages(write, make_args):
    rows = [
        {
            "query": "1+1?",
            "response": "2",
            "rejected_response": "3",
            "label": True,
            "solution": "2",
        },
        {"query": "2+2?", "response": "4", "rejected_response": "5", "label": False},
    ]
    path = write("pref.jsonl", rows)

    train, _ = load_datasets(make_args(dataset=[path]))

    assert train.column_names == ["messages", "rejected_response", "label", "solution"]
    assert train["rejected_response"] == ["3", "5"]
    assert train["label"] == [True, False]
    assert train["solution"] == ["2", None]


def test_grpo_prompts_need_no_assistant_turn(write, make_args, plain):
    path = write(
        "prompts.jsonl",
        [{"messages": [{"role": "user", "content": "Solve x+1=2"}], "solution": "1"}],
    )

    train, _ = load_datasets(make_args(dataset=[path]), require_response=False)

    assert {**train[0], "messages": plain(train[0]["messages"])} == {
        "messages": [{"role": "user", "content": "Solve x+1=2"}],
        "solution": "1",
    }
