"""Every flag of the argument reference takes effect, or is refused before anything loads.

The flag list is read from the reference itself (``docs/reference/arguments.zh.md``, the
user's argument document), so a flag added there without evidence here fails
:func:`test_every_reference_flag_has_evidence` — a new silent no-op cannot land.

Evidence, one per flag:

* :class:`Trains` — the flag changes the transformers ``TrainingArguments`` a run trains with;
* :class:`Encodes` — the flag changes the ``input_ids``/``labels`` of a sample;
* :class:`Generates` — the flag changes the request every answer is generated with;
* :class:`Adapts` — the flag changes the adapter a tuner attaches (its config or its weights);
* :class:`Quantizes` — the flag changes the quantization config the model loads with;
* :class:`Refused` — ``swift <command> --flag value`` exits 2 naming why, before any model loads;
* :class:`Shown` — a named test elsewhere runs the flag and asserts its effect (a lower loss, a
  changed checkpoint, a served answer …); checked here to exist and to use the flag.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest


def _load_evidence():
    # Test folders are not packages (importlib import mode): load the table by path, once.
    name = "swift_tests_flag_evidence"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("flag_evidence.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_evidence = _load_evidence()
EVIDENCE, OWED, ROOT, reference_flags = _evidence.EVIDENCE, _evidence.OWED, _evidence.ROOT, _evidence.reference_flags
Adapts, Encodes, Generates, Maps = _evidence.Adapts, _evidence.Encodes, _evidence.Generates, _evidence.Maps
Owed, Quantizes, Refused, Shown, Trains = (
    _evidence.Owed,
    _evidence.Quantizes,
    _evidence.Refused,
    _evidence.Shown,
    _evidence.Trains,
)


def _of(kind: type) -> list[tuple[str, Any]]:
    return [(flag, ev) for flag, ev in EVIDENCE.items() if isinstance(ev, kind)]


def _ids(items: list[tuple[str, Any]]) -> list[str]:
    return [flag for flag, _ in items]


def test_every_reference_flag_has_evidence():
    flags = reference_flags()
    assert len(flags) > 150, "the reference was not parsed"
    assert [f for f in flags if f not in EVIDENCE] == [], "flags of the reference with no evidence of an effect"
    assert [f for f in EVIDENCE if f not in flags] == [], "evidence for flags the reference does not have"
    assert {f for f, _ in _of(Owed)} <= OWED, "a flag without evidence was added; show its effect or refuse it"


# ------------------------------------------------------------------ Shown: the named test exists and runs the flag
def _functions(path: Path) -> dict[str, str]:
    """Source (decorators included) of every function in ``path``."""
    source = path.read_text(encoding="utf-8")
    return {
        node.name: (ast.get_source_segment(source, node) or "")
        + "".join(ast.get_source_segment(source, d) or "" for d in node.decorator_list)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef)
    }


def _constants(path: Path) -> dict[str, str]:
    """Source of the module-level assignments of ``path`` (tables a test loops over)."""
    source = path.read_text(encoding="utf-8")
    return {
        target.id: ast.get_source_segment(source, node) or ""
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _fixtures(path: Path) -> dict[str, str]:
    """Functions of the test file and of every conftest.py above it (where its fixtures live)."""
    found: dict[str, str] = {}
    for folder in [path.parent, *path.parent.parents]:
        conftest = folder / "conftest.py"
        if conftest.is_file():
            found = {**_functions(conftest), **found}
        if folder == ROOT:
            break
    return {**found, **_functions(path)}


@pytest.mark.parametrize(("flag", "evidence"), _of(Shown), ids=_ids(_of(Shown)))
def test_the_named_test_exists_and_uses_the_flag(flag, evidence):
    path, _, name = evidence.test.partition("::")
    functions = _fixtures(ROOT / path)
    assert name in functions, f"{evidence.test} does not exist"
    # the test itself, or a fixture it takes, passes the flag
    params = re.findall(r"\w+", functions[name].split("(", 1)[1].split(")", 1)[0]) if "(" in functions[name] else []
    sources = [functions[name], *(functions[p] for p in params if p in functions)]
    sources += [text for const, text in _constants(ROOT / path).items() if re.search(rf"\b{const}\b", functions[name])]
    pattern = re.compile(rf"\b{flag}\b")
    assert any(pattern.search(text) for text in sources), f"{evidence.test} (and its fixtures) never use {flag}"


# ------------------------------------------------------------------ Maps
@pytest.mark.parametrize(("flag", "evidence"), _of(Maps), ids=_ids(_of(Maps)))
def test_the_flag_changes_what_the_run_is_built_from(flag, evidence):
    from swift.arguments import RLHFArguments
    from swift.kernel import load_object

    build = load_object(evidence.target, what=evidence.target)

    def key(result):
        return result.get(evidence.key) if isinstance(result, dict) else getattr(result, evidence.key)

    default = key(build(RLHFArguments(model="m", **evidence.extra)))
    changed = key(build(RLHFArguments(model="m", **evidence.extra, **{flag: evidence.value})))
    assert changed != default and changed == evidence.value


# ------------------------------------------------------------------ Trains
@pytest.mark.parametrize(("flag", "evidence"), _of(Trains), ids=_ids(_of(Trains)))
def test_the_flag_changes_the_training_arguments(flag, evidence, tmp_path):
    from swift_transformers.train.hf_args import build_training_arguments

    from swift.arguments import TrainArguments

    common = {"model": "m", "use_galore": flag.startswith("galore_")}
    attribute = evidence.attribute or flag
    default = build_training_arguments(TrainArguments(**common), str(tmp_path), has_eval=False)
    changed = build_training_arguments(
        TrainArguments(**common, **{flag: evidence.value}), str(tmp_path), has_eval=False
    )
    assert getattr(changed, attribute) != getattr(default, attribute), f"--{flag} left {attribute} unchanged"


# ------------------------------------------------------------------ Encodes
@pytest.fixture(scope="module")
def tokenizer(tiny_model_path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_path)


def _row(tools: bool) -> dict:
    messages = [
        {"role": "user", "content": "What is the weather in Paris today?"},
        {"role": "assistant", "content": "It is sunny and warm in Paris."},
    ]
    row: dict[str, Any] = {"messages": messages}
    if tools:
        row["tools"] = [{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]
    return row


@pytest.mark.parametrize(("flag", "evidence"), _of(Encodes), ids=_ids(_of(Encodes)))
def test_the_flag_changes_the_encoded_sample(flag, evidence, tokenizer):
    from swift.arguments import TrainArguments
    from swift.template import get_template

    def encode(**values):
        args = TrainArguments(model="m", **evidence.extra, **values)
        return get_template(args.template or "qwen3", tokenizer, args).encode(_row(evidence.tools))

    assert encode(**{flag: evidence.value}) != encode(), f"--{flag} {evidence.value!r} encoded the same sample"


# ------------------------------------------------------------------ Generates
@pytest.mark.parametrize(("flag", "evidence"), _of(Generates), ids=_ids(_of(Generates)))
def test_the_flag_changes_the_generation_request(flag, evidence):
    from swift.arguments import InferArguments
    from swift.protocol import request_config_from_args

    default = request_config_from_args(InferArguments(model="m"))
    changed = request_config_from_args(InferArguments(model="m", **{flag: evidence.value}))
    assert getattr(changed, evidence.attribute) != getattr(default, evidence.attribute)


# ------------------------------------------------------------------ Adapts
@pytest.fixture(scope="module")
def base_model(tiny_model_path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_model_path)


@pytest.mark.parametrize(("flag", "evidence"), _of(Adapts), ids=_ids(_of(Adapts)))
def test_the_flag_changes_the_adapter(flag, evidence, base_model):
    from swift.arguments import TrainArguments
    from swift.contracts import load_tuner

    tuner = load_tuner(evidence.train_type)

    def config(**values):
        args = TrainArguments(model="m", train_type=evidence.train_type, **values)
        return tuner.config(base_model, args, total_steps=10).to_dict()

    default, changed = (
        config(**evidence.extra),
        config(**evidence.extra, **evidence.alongside, **{flag: evidence.value}),
    )
    assert {k: v for k, v in changed.items() if default.get(k) != v}, (
        f"--{flag} left the {evidence.train_type} config as it was"
    )


# ------------------------------------------------------------------ Quantizes
@pytest.mark.parametrize(("flag", "evidence"), _of(Quantizes), ids=_ids(_of(Quantizes)))
def test_the_flag_changes_the_quantization_config(flag, evidence):
    import torch
    from swift_transformers.models.options import quantization_config

    from swift.arguments import TrainArguments

    common = {"model": "m", "quant_method": "bnb", "quant_bits": 4}
    default = quantization_config(TrainArguments(**common), torch.float32)
    changed = quantization_config(TrainArguments(**{**common, flag: evidence.value}), torch.float32)
    assert getattr(changed, evidence.attribute) != getattr(default, evidence.attribute)


# ------------------------------------------------------------------ Refused
@pytest.mark.parametrize(("flag", "evidence"), _of(Refused), ids=_ids(_of(Refused)))
def test_the_flag_is_refused_before_anything_loads(flag, evidence, tiny_model_path, tmp_path, capsys, monkeypatch):
    import sys

    from swift.cli.main import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    argv = [evidence.command, "--model", str(tiny_model_path), *evidence.argv]
    if evidence.command != "infer":
        argv += ["--dataset", "no-such-name-needed", "--output_dir", str(tmp_path / "out")]
    loaded_before = "transformers.models.qwen3" in sys.modules
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    err = capsys.readouterr().err
    assert rc == 2, err
    assert evidence.message in err, err
    assert not (tmp_path / "out").exists()
    if not loaded_before:
        assert "transformers.models.qwen3" not in sys.modules, "the model was loaded before the refusal"


# ------------------------------------------------------------------ flags shown here
def test_model_revision_picks_that_snapshot_of_the_hub_cache(tmp_path, monkeypatch):
    """Two revisions of one repository in each hub's cache: ``--model_revision`` picks its own."""
    from swift_transformers.models.resolve import resolve_model_dir

    from swift.arguments import TrainArguments

    repo = tmp_path / "hub" / "models--org--tiny"
    for ref, commit in (("main", "a" * 40), ("v2", "b" * 40)):
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / ref).write_text(commit)
        (repo / "snapshots" / commit).mkdir(parents=True)
        (repo / "snapshots" / commit / "config.json").write_text("{}")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", True)

    assert resolve_model_dir(TrainArguments(model="org/tiny", use_hf=True)).endswith("a" * 40)
    assert resolve_model_dir(TrainArguments(model="org/tiny", use_hf=True, model_revision="v2")).endswith("b" * 40)
    # ModelScope (the default hub): snapshots named by revision, "master" when none is given
    for revision in ("master", "v2"):
        folder = tmp_path / "ms" / "models" / "org--tiny" / "snapshots" / revision
        folder.mkdir(parents=True)
        (folder / "config.json").write_text("{}")
    monkeypatch.setenv("MODELSCOPE_CACHE", str(tmp_path / "ms"))
    monkeypatch.delenv("USE_HF", raising=False)
    assert resolve_model_dir(TrainArguments(model="org/tiny")).endswith("master")
    assert resolve_model_dir(TrainArguments(model="org/tiny", model_revision="v2")).endswith("v2")


def test_check_model_false_skips_the_weight_file_check(tiny_model_path, tmp_path):
    """A truncated safetensors file stops a run, unless ``--check_model false``."""
    import shutil

    from swift_transformers.models.checks import ModelFilesError, check_model_files

    from swift.arguments import TrainArguments

    folder = shutil.copytree(tiny_model_path, tmp_path / "damaged")
    weights = next(folder.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ModelFilesError, match="is damaged"):
        check_model_files(folder, verify=TrainArguments(model=str(folder)).check_model)
    check_model_files(folder, verify=TrainArguments(model=str(folder), check_model=False).check_model)
