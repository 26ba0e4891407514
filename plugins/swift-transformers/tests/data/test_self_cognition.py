"""swift/self-cognition: bundled identity data filled with --model_name / --model_author."""

from __future__ import annotations

import re

import pytest
from swift_transformers.data.loading import load_datasets

from swift.kernel import UsageError

CJK = re.compile(r"[\u4e00-\u9fff]")
NAMES = {"model_name": ["小黄", "Xiao Huang"], "model_author": ["魔搭", "ModelScope"]}


@pytest.mark.parametrize("name", ["swift/self-cognition", "self-cognition"])
def test_names_are_filled_per_language(name, make_args):
    train, _ = load_datasets(make_args(dataset=[name], **NAMES))

    assert len(train) >= 100
    chinese = [m for m in train["messages"] if CJK.search(m[0]["content"])]
    english = [m for m in train["messages"] if not CJK.search(m[0]["content"])]
    assert len(chinese) >= 40 and len(english) >= 40
    for messages in train["messages"]:
        assert "{{" not in messages[0]["content"] + messages[1]["content"]
    assert all("小黄" in m[1]["content"] or "魔搭" in m[1]["content"] for m in chinese)
    assert all("Xiao Huang" in m[1]["content"] or "ModelScope" in m[1]["content"] for m in english)
    assert not any("Xiao Huang" in m[1]["content"] for m in chinese)
    assert any("Xiao Huang" in m[1]["content"] and "ModelScope" in m[1]["content"] for m in english)


def test_self_cognition_mixes_with_other_data_and_repeats_to_its_count(write, make_args):
    path = write("data.jsonl", [{"query": "2+2?", "response": "4"}])

    train, _ = load_datasets(make_args(dataset=[path, "self-cognition#500"], **NAMES))

    assert len(train) == 501
    assert train["messages"][0][1]["content"] == "4"


@pytest.mark.parametrize("given", [{}, {"model_name": ["小黄", "Xiao Huang"]}, {"model_author": ["魔搭"]}])
def test_without_names_it_says_both_flags_are_required(given, make_args):
    with pytest.raises(UsageError) as excinfo:
        load_datasets(make_args(dataset=["swift/self-cognition"], **given))

    assert "--model_name" in str(excinfo.value) and "--model_author" in str(excinfo.value)


def test_a_single_name_serves_both_languages(make_args):
    train, _ = load_datasets(make_args(dataset=["self-cognition"], model_name=["Robo"], model_author=["Acme"]))

    assert all("Robo" in m[1]["content"] or "Acme" in m[1]["content"] for m in train["messages"])
