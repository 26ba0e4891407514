"""``--eval_backend`` is a plugin family: a third party's backend is a small package, found, checked and run."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from swift.kernel import UsageError

DOC = Path(__file__).resolve().parents[3] / "docs" / "plugins" / "eval_backends.md"


def _doc_module(first_line: str) -> str:
    """The python block of docs/plugins/eval_backends.md that starts with ``first_line``: the doc's code is what runs."""
    for block in re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        if block.startswith(first_line):
            return block
    raise AssertionError(f"{DOC} has no python block starting with {first_line!r}")


# A whole evaluation backend as a third party ships it (exact match of chat answers, over HTTP only).
HOOKS = _doc_module("# acme_eval/hooks.py")
BACKEND = _doc_module("# acme_eval/backend.py")


@pytest.fixture
def acme_backend(fake_dist, make_kernel):
    fake_dist(
        "swift-acme-eval",
        entry_points={"swift.eval_backends": {"acme": "acme_eval.hooks"}},
        modules={"acme_eval/__init__.py": "", "acme_eval/hooks.py": HOOKS, "acme_eval/backend.py": BACKEND},
    )
    make_kernel(strict=True)


def test_a_third_party_backend_runs_through_swift_eval(acme_backend, eval_args, swift_eval, tmp_path, capsys):
    data = tmp_path / "greetings.jsonl"
    data.write_text(
        "".join(json.dumps({"question": q, "answer": "no such answer"}) + "\n" for q in ("hi", "yo", "hey"))
    )

    summary = swift_eval(eval_args(eval_backend="acme_exact", eval_dataset=[str(data)], eval_limit=2))

    assert summary["results"] == {"greetings": {"exact_match": 0.0}}
    samples = [json.loads(line) for line in open(f"{summary['output_dir']}/samples/greetings.jsonl")]
    assert len(samples) == 2 and all(isinstance(s["output"], str) for s in samples)  # answered by the tiny model
    assert "greetings | exact_match | 0.0000" in capsys.readouterr().out


def test_a_third_party_backend_refusing_a_dataset_stops_before_the_run_folder(
    acme_backend, eval_args, swift_eval, tmp_path
):
    with pytest.raises(UsageError, match="acme_exact reads question/answer jsonl files, not 'gsm8k'"):
        swift_eval(eval_args(eval_backend="acme_exact", eval_dataset=["gsm8k"]))
    assert not (tmp_path / "eval_output").exists() or not list((tmp_path / "eval_output").iterdir())


def test_the_conformance_suite_accepts_it_and_fails_a_backend_that_accepts_anything(acme_backend, fake_dist, tmp_path):
    from swift_sdk.conformance import ConformanceError, check_eval_backend, load_plugin

    data = tmp_path / "qa.jsonl"
    data.write_text(json.dumps({"question": "hi", "answer": "x"}) + "\n")
    check_eval_backend(load_plugin("acme_eval.hooks"), "acme_exact", [str(data)])

    fake_dist(
        "swift-lax-eval",
        entry_points={"swift.eval_backends": {"lax": "lax_eval"}},
        modules={
            "lax_eval.py": HOOKS.replace("acme_exact", "lax").replace("acme_eval.backend", "lax_eval")
            + BACKEND.replace("raise UsageError", "print")
        },
    )
    with pytest.raises(ConformanceError, match=r"eval_backend 'lax'.*raised nothing \(expected UsageError\)"):
        check_eval_backend(load_plugin("lax_eval"), "lax")
