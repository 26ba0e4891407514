"""Other plugins add file formats and named datasets through DatasetRecords."""

from __future__ import annotations

import textwrap

import pytest
from swift_transformers.data.loading import load_datasets

from swift.kernel import UsageError

ACME = textwrap.dedent(
    """
    from swift.kernel import DatasetRecord, hookimpl


    @hookimpl
    def swift_register_datasets():
        yield DatasetRecord(name="tsv", kind="format", suffixes=(".tsv",), load="acme_data:read_tsv")
        yield DatasetRecord(name="acme/support", load="acme_data:load_support", subsets=("en", "de"))


    def read_tsv(path, args):
        with open(path, encoding="utf-8") as f:
            for line in f:
                query, response = line.rstrip("\\n").split("\\t")
                yield {"query": query, "response": response}


    def load_support(spec, args):
        from datasets import Dataset

        greeting = {"en": "Hello", "de": "Hallo"}[(spec.subsets or ("en",))[0]]
        return Dataset.from_list([{"instruction": "Greet", "output": greeting, "ticket": 1}] * 3)
    """
)


@pytest.fixture
def acme(fake_dist, make_kernel):
    fake_dist(
        "swift-acme",
        entry_points={"swift.datasets": {"acme": "acme_data"}},
        modules={"acme_data.py": ACME},
    )
    return make_kernel(strict=True)


def test_a_plugin_format_reads_its_suffix(acme, tmp_path, make_args):
    path = tmp_path / "pairs.tsv"
    path.write_text("hi\thello\nbye\tsee you\n", encoding="utf-8")

    train, _ = load_datasets(make_args(dataset=[str(path)]))

    assert [m[1]["content"] for m in train["messages"]] == ["hello", "see you"]


def test_a_plugin_named_dataset_gets_spec_subsets_and_count(acme, make_args, plain):
    train, _ = load_datasets(make_args(dataset=["acme/support:de#2"]))

    assert (
        plain(train["messages"])
        == [[{"role": "user", "content": "Greet"}, {"role": "assistant", "content": "Hallo"}]] * 2
    )
    assert train["ticket"] == [1, 1]


def test_without_the_plugin_the_suffix_is_unsupported(tmp_path, make_args):
    path = tmp_path / "pairs.tsv"
    path.write_text("hi\thello\n")

    with pytest.raises(UsageError, match="unsupported file type '.tsv'"):
        load_datasets(make_args(dataset=[str(path)]))
