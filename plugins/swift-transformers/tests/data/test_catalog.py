"""The record table stays light and lists what the plugin provides."""

from __future__ import annotations

import subprocess
import sys

from swift.kernel import registry


def test_importing_the_catalog_imports_no_heavy_library():
    code = (
        "import sys, swift_transformers.data.catalog as c; "
        "heavy = [m for m in ('datasets', 'torch', 'transformers', 'pyarrow') if m in sys.modules]; "
        "print(len(c.DATASET_RECORDS), heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert out.split(" ", 1)[1].strip() == "[]"
    assert int(out.split()[0]) >= 6


def test_formats_and_self_cognition_are_registered(swift_kernel):
    datasets = registry("datasets")

    suffixes = {s for r in datasets if r.kind == "format" for s in r.suffixes}
    assert {".jsonl", ".json", ".csv", ".parquet", ".txt"} <= suffixes
    assert datasets.get("self-cognition").name == "swift/self-cognition"
    assert datasets.get("swift/self-cognition").kind == "dataset"


def test_the_bundled_self_cognition_file_ships_with_the_package():
    from importlib import resources

    bundled = resources.files("swift_transformers.data").joinpath("bundled/self_cognition.jsonl")
    lines = bundled.read_text("utf-8").splitlines()
    assert len(lines) >= 100
    assert all("{{NAME}}" in line or "{{AUTHOR}}" in line for line in lines)
