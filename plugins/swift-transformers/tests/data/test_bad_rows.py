"""Bad rows are dropped and counted (the count is in the warning), or raised with --strict."""

from __future__ import annotations

import pytest
from swift_transformers.data.loading import load_datasets

from swift.kernel import UsageError

GOOD = {"query": "What is 2 + 2?", "response": "4"}

BAD_ROWS = {
    "missing field": ({"instruction": "Say hi"}, "missing 'output'"),
    "wrong type": ({"query": "Count", "response": 5}, "'response' must be a string, got int"),
    "empty content": ({"query": "   ", "response": "ok"}, "message 1 (user) has empty content"),
    "unknown role": (
        {"messages": [{"role": "narrator", "content": "x"}, {"role": "assistant", "content": "y"}]},
        "unknown role 'narrator'",
    ),
    "no final assistant turn": (
        {"messages": [{"role": "user", "content": "hi"}]},
        "ends with a user turn, not an assistant turn",
    ),
    "invalid json": ('{"query": "oops", ', "invalid JSON"),
    "not an object": ([1, 2], "a row must be an object, got list"),
    "no known field": ({"question": "q", "answer": "a"}, "no 'messages', 'conversations'"),
    "bad history": ({"query": "q", "response": "r", "history": [["only one"]]}, "'history' item 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_bad_row_is_dropped_and_reported_with_its_reason(case, write, make_args, warnings_of):
    bad, reason = BAD_ROWS[case]
    path = write("data.jsonl", [GOOD, bad, GOOD])

    train, _ = load_datasets(make_args(dataset=[path]))

    assert len(train) == 2
    [warning] = warnings_of()
    assert f"dropped 1 of 3 rows from {path}: row 2: " in warning
    assert reason in warning


def test_the_warning_counts_every_dropped_row_and_names_the_first(write, make_args, warnings_of):
    rows = [GOOD] * 97 + [{"query": "q"}, {"query": "q", "response": 1}, {"response": "r"}]
    path = write("data.jsonl", rows)

    train, _ = load_datasets(make_args(dataset=[path]))

    assert len(train) == 97
    assert warnings_of()[0].startswith(f"dropped 3 of 100 rows from {path}: row 98: missing 'response'")


def test_bad_rows_of_a_csv_file_are_counted_too(write, make_args, warnings_of):
    path = write("data.csv", [{"query": "q1", "response": "r1"}, {"query": "q2", "response": ""}])

    train, _ = load_datasets(make_args(dataset=[path]))

    assert len(train) == 1
    assert warnings_of() and f"dropped 1 of 2 rows from {path}: row 2:" in warnings_of()[0]


def test_strict_raises_naming_the_file_the_row_and_the_reason(write, make_args):
    path = write("data.jsonl", [GOOD, GOOD, {"query": "q", "response": ["a", "list"]}])

    with pytest.raises(UsageError) as excinfo:
        load_datasets(make_args(dataset=[path], strict=True))

    message = str(excinfo.value)
    assert f"{path} row 3:" in message
    assert "'response' must be a string, got list" in message


def test_strict_raises_for_csv_rows_as_well(write, make_args):
    path = write("data.csv", [{"query": "q1", "response": "r1"}, {"query": "", "response": "r2"}])

    with pytest.raises(UsageError, match=r"data\.csv row 2: missing .query."):
        load_datasets(make_args(dataset=[path], strict=True))


def test_a_file_without_a_single_usable_row_is_an_error(write, make_args):
    path = write("data.jsonl", [{"query": "q"}, {"query": "q2"}])

    with pytest.raises(UsageError, match="no usable rows in .*data.jsonl.*dropped 2 of 2 rows"):
        load_datasets(make_args(dataset=[path]))


def test_a_table_without_any_readable_column_says_how_to_map_it(write, make_args):
    path = write("data.csv", [{"question": "q", "answer": "a"}])

    with pytest.raises(UsageError, match=r"no column swift can read \(columns: question, answer\).*--columns"):
        load_datasets(make_args(dataset=[path]))


def _raw_file(tmp_path, name: str, lines: list[bytes]) -> str:
    path = tmp_path / name
    path.write_bytes(b"\n".join(lines) + b"\n")
    return str(path)


GOOD_LINE = b'{"query": "What is 2 + 2?", "response": "4"}'


def test_a_row_that_is_not_utf8_is_dropped_and_counted(tmp_path, make_args, warnings_of):
    path = _raw_file(tmp_path, "data.jsonl", [GOOD_LINE, b'{"query": "caf\xe9", "response": "x"}', GOOD_LINE])

    train, _ = load_datasets(make_args(dataset=[path]))

    assert len(train) == 2
    [warning] = warnings_of()
    assert f"dropped 1 of 3 rows from {path}: row 2: invalid UTF-8" in warning


def test_strict_raises_on_a_row_that_is_not_utf8(tmp_path, make_args):
    path = _raw_file(tmp_path, "data.jsonl", [GOOD_LINE, b"\xff\xfe not text"])

    with pytest.raises(UsageError, match="row 2: invalid UTF-8"):
        load_datasets(make_args(dataset=[path], strict=True))


def test_a_50_mb_line_is_a_bad_row_read_past_with_flat_memory(tmp_path, make_args, warnings_of):
    import tracemalloc

    from swift_transformers.data.readers import read_jsonl

    huge = b'{"query": "' + b"x" * (50 * 1024 * 1024) + b'", "response": "r"}'
    path = _raw_file(tmp_path, "data.jsonl", [GOOD_LINE, huge, GOOD_LINE])
    del huge

    tracemalloc.start()
    rows = list(read_jsonl(path, make_args(max_line_bytes=1024 * 1024)))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [type(r).__name__ for r in rows] == ["dict", "InvalidRow", "dict"]
    assert peak < 8 * 1024 * 1024  # the 50 MB line never sat in memory

    train, _ = load_datasets(make_args(dataset=[path], max_line_bytes=1024 * 1024))
    assert len(train) == 2
    assert "row 2: line longer than 1048576 bytes (--max_line_bytes)" in warnings_of()[0]


def test_text_files_drop_undecodable_lines_too(tmp_path, make_args, warnings_of):
    path = _raw_file(tmp_path, "corpus.txt", [b"first line", b"bad \xc3\x28 byte", b"third line"])

    train, _ = load_datasets(make_args(dataset=[path]))

    assert len(train) == 2 and "invalid UTF-8" in warnings_of()[0]
