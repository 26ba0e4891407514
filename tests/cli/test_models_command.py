"""``swift models`` (and ``swift sft --model_type list``): the catalogue from the records."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def swift(*argv):
    return subprocess.run(
        [sys.executable, "-m", "swift.cli.main", *argv], capture_output=True, text=True, env=os.environ, timeout=120
    )


def test_the_catalogue_lists_every_model_type_with_its_template_and_what_checks_it():
    from swift.kernel import Kernel, set_kernel

    previous = set_kernel(Kernel(strict=True))
    try:
        from swift.kernel import registry

        registry("models").records()
        names = sorted(r.name for r in registry("models").records())
    finally:
        set_kernel(previous)
    listed = json.loads(swift("models", "--json").stdout)["models"]
    assert [row["model_type"] for row in listed] == names
    rows = {row["model_type"]: row for row in listed}
    assert rows["qwen2_5"]["template"] == "qwen2_5" and rows["qwen2_5"]["parity"] == "published Jinja template"
    assert "Qwen2ForCausalLM" in rows["qwen2_5"]["architectures"]
    assert rows["causal_lm"]["template"] == "chat_template" and "own" in rows["causal_lm"]["parity"]
    assert rows["qwen3"]["plugin"] == "swift-transformers"


def test_model_type_list_on_a_command_prints_the_same_table():
    table = swift("models")
    assert table.returncode == 0 and table.stdout.startswith("MODEL_TYPE")
    for argv in (("sft", "--model_type", "list"), ("infer", "--model_type=list", "--model", "x")):
        shown = swift(*argv)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout == table.stdout


def test_a_pattern_filters_by_name_architecture_template_or_tag():
    rows = json.loads(swift("models", "moe", "--json").stdout)["models"]
    assert rows and all("moe" in (row["model_type"] + " ".join(row["tags"])).lower() for row in rows)
    assert {r["model_type"] for r in json.loads(swift("models", "Gemma2ForCausalLM", "--json").stdout)["models"]} == {
        "gemma2"
    }
