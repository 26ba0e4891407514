"""--loss_scale strategies: the weight of every token, checked on known samples."""

from __future__ import annotations

import json

import pytest

from swift.kernel import UsageError
from swift.template import get_template

REACT_REPLY = (
    'Thought: I need the weather.\nAction: get_weather\nAction Input: {"city": "Paris"}\n'
    "Observation: 18C\nThought: I know it.\nFinal Answer: 18C."
)


def _weights_by_text(tokenizer, encoded) -> list[tuple[str, float]]:
    """Runs of equal weight as (decoded text, weight), prompt tokens left out."""
    runs: list[tuple[list[int], float]] = []
    for token, label, weight in zip(encoded["input_ids"], encoded["labels"], encoded["loss_scale"]):
        if label == -100 and weight == 0 and not runs:
            continue
        if runs and runs[-1][1] == weight:
            runs[-1][0].append(token)
        else:
            runs.append(([token], weight))
    return [(tokenizer.decode(ids), w) for ids, w in runs]


def test_react_weighs_actions_double_and_never_trains_observations(chatml_tokenizer):
    template = get_template("chatml", chatml_tokenizer, loss_scale="react")
    row = {"messages": [{"role": "user", "content": "Weather?"}, {"role": "assistant", "content": REACT_REPLY}]}
    encoded = template.encode(row)
    assert len(encoded["loss_scale"]) == len(encoded["input_ids"])
    assert _weights_by_text(chatml_tokenizer, encoded) == [
        ("Thought: I need the weather.\n", 1.0),
        ('Action: get_weather\nAction Input: {"city": "Paris"}\nObservation:', 2.0),
        (" 18C\n", 0.0),
        ("Thought: I know it.\nFinal Answer: 18C.<|im_end|>", 1.0),
        ("\n", 0.0),
    ]
    # weight 0 is also a masked label, so no loss ever sees the observation
    trained = [t for t, label in zip(encoded["input_ids"], encoded["labels"]) if label != -100]
    assert "Observation: 18C" not in chatml_tokenizer.decode(trained)


def test_hermes_weighs_tool_call_blocks_double(chatml_tokenizer):
    reply = 'Checking.\n<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>'
    encoded = get_template("chatml", chatml_tokenizer, loss_scale="hermes").encode(
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": reply}]}
    )
    assert _weights_by_text(chatml_tokenizer, encoded)[:3] == [
        ("Checking.\n", 1.0),
        ('<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>', 2.0),
        ("<|im_end|>", 1.0),
    ]


def test_ignore_empty_think_masks_only_an_empty_block(chatml_tokenizer):
    template = get_template("chatml", chatml_tokenizer, loss_scale="ignore_empty_think")
    empty = template.encode(
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "<think>\n\n</think>\n\nHi"}]}
    )
    assert "loss_scale" not in empty  # 0/1 weights are labels alone: fused losses still apply
    trained = chatml_tokenizer.decode([t for t, label in zip(empty["input_ids"], empty["labels"]) if label != -100])
    assert trained == "Hi<|im_end|>"
    full = template.encode(
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "<think>x</think>Hi"}]}
    )
    trained = chatml_tokenizer.decode([t for t, label in zip(full["input_ids"], full["labels"]) if label != -100])
    assert trained == "<think>x</think>Hi<|im_end|>"


def test_last_round_and_default_and_all(chatml_tokenizer):
    row = {
        "messages": [
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "first"},
            {"role": "user", "content": "two"},
            {"role": "assistant", "content": "second"},
        ]
    }

    def trained(scale: str) -> str:
        encoded = get_template("chatml", chatml_tokenizer, loss_scale=scale).encode(row)
        ids = [t for t, label in zip(encoded["input_ids"], encoded["labels"]) if label != -100]
        return chatml_tokenizer.decode(ids)

    assert trained("default") == "first<|im_end|>second<|im_end|>"
    assert trained("last_round") == "second<|im_end|>"
    assert trained("all").startswith("<|im_start|>user\none")


def test_a_json_file_in_ms_swift_format(tmp_path, chatml_tokenizer):
    path = tmp_path / "scale.json"
    path.write_text(json.dumps({"Answer:": [3.0, 0.5], "secret": [0.0]}), encoding="utf-8")
    encoded = get_template("chatml", chatml_tokenizer, loss_scale=str(path)).encode(
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "Answer: a secret b"}]}
    )
    assert _weights_by_text(chatml_tokenizer, encoded)[:4] == [
        ("Answer:", 3.0),
        (" a ", 0.5),
        ("secret", 0.0),
        (" b", 0.5),
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("reactt", "Did you mean 'react'"),
        ("cross_entropy", "not a loss-scale strategy"),
        ("missing.json", "cannot read the file"),
    ],
)
def test_a_bad_loss_scale_is_a_usage_error(value, message, chatml_tokenizer):
    with pytest.raises(UsageError, match=message):
        get_template("chatml", chatml_tokenizer, loss_scale=value)


def test_a_bad_json_weight_is_a_usage_error(tmp_path, chatml_tokenizer):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"Action:": [1, 2, 3]}), encoding="utf-8")
    with pytest.raises(UsageError, match="must be \\[weight\\]"):
        get_template("chatml", chatml_tokenizer, loss_scale=str(path))
