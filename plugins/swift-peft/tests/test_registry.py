"""The tuners swift-peft registers, as the kernel sees them through the installed entry point."""

from __future__ import annotations

import subprocess
import sys

import pytest

from swift.kernel import UnknownNameError, registry, reset_kernel

EXPECTED = {"lora", "adalora", "boft", "vera", "fourierft", "llamapro", "reft", "full"}


@pytest.fixture
def tuners():
    reset_kernel()  # a kernel built now discovers swift-peft's entry point afresh
    yield registry("tuners")
    reset_kernel()


def test_every_method_is_registered_by_the_swift_peft_distribution(tuners):
    assert EXPECTED <= set(tuners.names())
    for name in EXPECTED:
        record = tuners.get(name)
        assert record.provider.distribution == "swift-peft"
        assert record.backend == "peft"
        assert record.summary and "\n" not in record.summary


def test_full_is_a_full_non_mergeable_method_and_adapters_are_mergeable(tuners):
    full = tuners.get("full")
    assert (full.full, full.mergeable) == (True, False)
    # ReFT edits activations, not weights: nothing to merge
    assert (tuners.get("reft").full, tuners.get("reft").mergeable) == (False, False)
    assert all(tuners.get(n).mergeable and not tuners.get(n).full for n in EXPECTED - {"full", "reft"})


def test_each_record_loads_an_object_with_the_tuner_contract(tuners):
    for name in EXPECTED:
        tuner = tuners.load(name)
        for method in ("prepare", "save", "load", "optimizer_param_groups", "callback"):
            assert callable(getattr(tuner, method)), (name, method)
        assert callable(getattr(tuner, "merge", None)) == tuners.get(name).mergeable


def test_misspelled_train_type_names_the_closest_method(tuners):
    with pytest.raises(UnknownNameError) as err:
        tuners.get("lroa")
    assert err.value.suggestion == "lora"
    assert "Did you mean 'lora'?" in str(err.value)
    assert "fourierft" in str(err.value)


def test_listing_the_records_imports_no_heavy_library():
    code = (
        "import sys; from swift_peft import hooks; "
        "names = [r.name for r in hooks.swift_register_tuners()]; "
        "heavy = [m for m in ('torch', 'peft', 'transformers') if m in sys.modules]; "
        "print(len(names), heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"{len(EXPECTED)} []"
