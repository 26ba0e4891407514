"""`swift export --quant_method gptq|awq|bnb`: real quantization where the library is installed,
an exit status 2 naming the pip package where it is not; calibration texts from --dataset."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest


def _installed(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


@pytest.mark.skipif(_installed("optimum", "gptqmodel"), reason="optimum and gptqmodel are installed")
def test_gptq_without_its_libraries_exits_2_naming_the_pip_packages(swift_cli, checkpoint, tmp_path):
    result = swift_cli(
        "export", "--ckpt_dir", str(checkpoint), "--quant_method", "gptq", "--quant_bits", "4", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "--quant_method gptq" in result.stderr and "pip install" in result.stderr
    assert "gptqmodel" in result.stderr
    # checked before anything is merged or written
    assert not Path(f"{checkpoint}-merged").exists() and not Path(f"{checkpoint}-gptq-int4").exists()


@pytest.mark.skipif(_installed("awq"), reason="autoawq is installed")
def test_awq_without_autoawq_exits_2_naming_the_pip_package(run_swift, checkpoint):
    code, _, err = run_swift("export", "--ckpt_dir", str(checkpoint), "--quant_method", "awq", "--quant_bits", "4")
    assert code == 2
    assert "--quant_method awq" in err and "pip install autoawq" in err
    assert not Path(f"{checkpoint}-merged").exists()


def test_bnb_without_bitsandbytes_exits_2_naming_the_pip_package(run_swift, checkpoint, monkeypatch):
    find_spec = importlib.util.find_spec
    # as on a machine where bitsandbytes is not installed
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "bitsandbytes" else find_spec(n, *a))
    code, _, err = run_swift("export", "--ckpt_dir", str(checkpoint), "--quant_method", "bnb", "--quant_bits", "4")
    assert code == 2
    assert "--quant_method bnb" in err and "pip install bitsandbytes" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--quant_method", "gptq"), "--quant_method gptq needs --quant_bits"),
        (("--quant_method", "bnb", "--quant_bits", "3"), "supports --quant_bits 4 or 8, got 3"),
        (("--quant_method", "hqq", "--quant_bits", "4"), "cannot quantize with --quant_method hqq"),
    ],
)
def test_bad_quantization_flags_exit_2_with_the_reason(run_swift, checkpoint, flags, message):
    code, _, err = run_swift("export", "--ckpt_dir", str(checkpoint), *flags)
    assert code == 2
    assert message in err


@pytest.mark.skipif(not _installed("bitsandbytes"), reason="needs bitsandbytes")
def test_bnb_export_merges_then_saves_4bit_weights_that_transformers_loads(run_swift, checkpoint):
    import bitsandbytes as bnb
    from transformers import AutoModelForCausalLM

    code, _, err = run_swift("export", "--ckpt_dir", str(checkpoint), "--quant_method", "bnb", "--quant_bits", "4")
    assert code == 0, err
    out = Path(f"{checkpoint}-bnb-int4")
    assert "merging the adapters before quantizing" in err
    assert (Path(f"{checkpoint}-merged") / "config.json").is_file()
    config = json.loads((out / "config.json").read_text())
    assert config["quantization_config"]["quant_method"] == "bitsandbytes"
    assert config["quantization_config"]["_load_in_4bit"] is True
    assert json.loads((out / "args.json").read_text())["quant_bits"] == 4
    model = AutoModelForCausalLM.from_pretrained(out)
    assert isinstance(model.model.layers[0].self_attn.q_proj, bnb.nn.Linear4bit)


def test_calibration_texts_are_dataset_rows_rendered_by_the_template(tiny_model_path, tmp_path, swift_kernel):
    from swift_transformers.export.calibration import calibration_texts
    from swift_transformers.models.loading import load_tokenizer

    from swift.arguments import ExportArguments
    from swift.template import get_template

    data = tmp_path / "calib.jsonl"
    data.write_text(
        "".join(
            json.dumps(
                {
                    "messages": [
                        {"role": "user", "content": f"question {i}"},
                        {"role": "assistant", "content": f"answer {i}"},
                    ]
                }
            )
            + "\n"
            for i in range(10)
        )
    )
    swift_kernel.load_families("templates", "datasets")
    args = ExportArguments(
        model=str(tiny_model_path),
        dataset=[str(data)],
        quant_method="gptq",
        quant_bits=4,
        quant_n_samples=4,
        output_dir=str(tmp_path / "out"),
    )
    template = get_template("qwen3", load_tokenizer(str(tiny_model_path)), args)
    texts = calibration_texts(args, template)
    assert len(texts) == 4 and len(set(texts)) == 4
    for text in texts:
        number = text.split("question ")[1].split("<|im_end|>")[0]
        assert "<|im_start|>user\nquestion " in text and f"answer {number}" in text


def test_calibration_without_a_dataset_uses_the_builtin_text_and_says_so(tmp_path, capsys):
    from swift_transformers.export.calibration import DEFAULT_TEXTS, calibration_texts

    from swift.arguments import ExportArguments

    args = ExportArguments(
        model=str(tmp_path), quant_method="gptq", quant_bits=4, quant_n_samples=3, output_dir=str(tmp_path / "out")
    )
    assert calibration_texts(args, template=None) == list(DEFAULT_TEXTS[:3])
    assert "no --dataset given" in capsys.readouterr().err
