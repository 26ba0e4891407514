"""Templates are records: resolved by name, overridable by plugins, light to import."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from swift.kernel import TemplateRecord, UnknownNameError, hookimpl
from swift.template import TemplateMeta, get_template

ROOT = Path(__file__).resolve().parents[2]


def test_an_unknown_template_name_suggests_the_closest(fresh_kernel, chatml_tokenizer):
    with pytest.raises(UnknownNameError, match="Did you mean 'qwen2_5'") as err:
        get_template("qwen25", chatml_tokenizer)
    assert "chatml" in str(err.value)  # it lists what exists


def test_aliases_resolve_to_their_template(fresh_kernel, chatml_tokenizer):
    assert get_template("llama2", chatml_tokenizer).name == "llama"
    assert get_template("llama3_1", chatml_tokenizer).name == "llama3_2"


def test_a_plugin_template_overrides_the_builtin_of_the_same_name(fresh_kernel, chatml_tokenizer):
    plugin = types.ModuleType("acme_templates_test")
    plugin.CHATML = TemplateMeta(user="U: {content}\n", assistant_prefix="A: ", assistant="{content}<|im_end|>")

    @hookimpl
    def swift_register_templates():
        yield TemplateRecord(name="chatml", load="acme_templates_test:CHATML", stop_words=("U:",))

    plugin.swift_register_templates = swift_register_templates
    sys.modules[plugin.__name__] = plugin
    try:
        fresh_kernel.register(plugin, "acme")
        template = get_template("chatml", chatml_tokenizer)
        assert template.name == "chatml"  # the record's name fills a nameless meta
        assert template.render([{"role": "user", "content": "Hi"}], add_generation_prompt=True) == "U: Hi\nA: "
        assert template.stop_words == ("U:", "<|im_end|>")
    finally:
        del sys.modules[plugin.__name__]


def test_a_record_may_name_a_factory_instead_of_a_meta(fresh_kernel, chatml_tokenizer):
    plugin = types.ModuleType("acme_factory_test")
    plugin.make = lambda tokenizer, **options: ("made", tokenizer, options["max_length"])

    @hookimpl
    def swift_register_templates():
        yield TemplateRecord(name="acme", load="acme_factory_test:make")

    plugin.swift_register_templates = swift_register_templates
    sys.modules[plugin.__name__] = plugin
    try:
        fresh_kernel.register(plugin, "acme")
        assert get_template("acme", chatml_tokenizer, max_length=7) == ("made", chatml_tokenizer, 7)
    finally:
        del sys.modules[plugin.__name__]


HEAVY = ("torch", "transformers", "tokenizers", "jinja2", "numpy")
PROBE = f"""
import json, sys
import swift.template, swift.template.library, swift.builtins.templates
from swift.kernel import Kernel, registry, set_kernel
set_kernel(Kernel(use_entry_points=False))  # the builtins only: this checks the core
class CharTokenizer:  # duck-typed: the template needs no tokenizer library
    bos_token, eos_token = None, "#"
    def encode(self, text, add_special_tokens=False):
        return [ord(c) for c in text]
    def decode(self, ids, skip_special_tokens=False):
        return "".join(map(chr, ids))
t = swift.template.get_template("qwen3", CharTokenizer())
row = t.encode({{"messages": [{{"role": "user", "content": "hi"}}, {{"role": "assistant", "content": "yo"}}]}})
assert t.decode(row["input_ids"]).endswith("yo<|im_end|>\\n")
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})))
"""


def test_importing_swift_template_loads_no_heavy_library():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_plugin_guide_example_runs(tmp_path):
    doc = (ROOT / "docs" / "plugins" / "templates.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    assert len(blocks) >= 2
    (tmp_path / "acme_templates.py").write_text(blocks[0], encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", blocks[1]], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    expected = re.search(r"prints:\n\n```text\n(.*?)```", doc, flags=re.S).group(1)
    assert out.stdout == expected
