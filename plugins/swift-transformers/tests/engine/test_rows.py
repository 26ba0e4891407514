"""A row's incremental text: whole characters only, stop strings never half shown."""

from __future__ import annotations

import pytest
from swift_transformers.engine.rows import Row

TEXT = "我是一个语言模型。你好，世界！ The model says hello."


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def _row(tokenizer, stops=(), limit=1000, end_ids=frozenset()):
    def decode(ids):
        return tokenizer.decode(list(ids), skip_special_tokens=True)

    return Row(0, limit, end_ids, stops, decode, track_text=True)


def _stream(row, ids):
    deltas = []
    for token in ids:
        row.step(token)
        deltas.append(row.take_delta()[0])
        if row.done:
            break
    row.stop()
    deltas.append(row.take_delta()[0])
    return deltas


def test_stream_deltas_never_hold_half_a_character(tokenizer):
    ids = tokenizer.encode(TEXT, add_special_tokens=False)
    # byte-level BPE splits some Chinese characters over several tokens
    assert any("\ufffd" in tokenizer.decode([i]) for i in ids)
    deltas = _stream(_row(tokenizer), ids)
    assert "".join(deltas) == TEXT
    assert not any("\ufffd" in d for d in deltas)


def test_stop_string_is_held_back_then_cut(tokenizer):
    ids = tokenizer.encode(TEXT, add_special_tokens=False)
    row = _row(tokenizer, stops=["hello"])
    deltas = _stream(row, ids)
    assert "".join(deltas) == TEXT[: TEXT.index("hello")]
    assert not any("hel" in d for d in deltas)
    assert row.finish_reason == "stop"
    assert row.final_text() == TEXT[: TEXT.index("hello")]


def test_end_token_counts_but_is_not_text(tokenizer):
    end = tokenizer.eos_token_id
    ids = tokenizer.encode("hello there", add_special_tokens=False) + [end] + tokenizer.encode(" more")
    row = _row(tokenizer, end_ids=frozenset({end}))
    for token in ids:
        row.step(token)
    assert row.finish_reason == "stop"
    assert row.tokens[-1] == end and len(row.tokens) == ids.index(end) + 1
    assert row.final_text() == "hello there"


def test_limit_ends_with_length(tokenizer):
    ids = tokenizer.encode(TEXT, add_special_tokens=False)
    row = _row(tokenizer, limit=3)
    for token in ids:
        row.step(token)
    assert row.finish_reason == "length" and len(row.tokens) == 3
