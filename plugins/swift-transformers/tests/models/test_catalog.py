"""The model record table and how the kernel sees it."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest
import transformers
from swift_transformers import hooks
from swift_transformers.models.catalog import MODEL_RECORDS

from swift.kernel import Kernel

FIXED_TEMPLATES = {
    "default",
    "chat_template",
    "chatml",
    "qwen",
    "qwen2_5",
    "qwen3",
    "llama",
    "llama3",
    "llama3_2",
    "mistral",
    "gemma",
    "phi3",
    "phi4",
    "phi4_mini",
    "glm4",
    "glm4_5",
    "internlm2",
    "internlm3",
    "yi",
    "deepseek",
    "deepseek_v2_5",
    "deepseek_r1",
}
# Architectures whose code ships with the checkpoint (trust_remote_code), not with transformers.
REMOTE_CODE_ARCHITECTURES = {
    "QWenLMHeadModel",
    "ChatGLMModel",
    "ChatGLMForConditionalGeneration",
    "InternLM2ForCausalLM",
    "InternLM3ForCausalLM",
}


def test_every_record_names_a_known_template_and_is_valid():
    for record in MODEL_RECORDS:
        record.validate()
        assert record.template in FIXED_TEMPLATES, record.name


def test_record_names_are_unique():
    names = [r.name for r in MODEL_RECORDS]
    assert len(names) == len(set(names))


def test_architectures_and_config_types_exist_in_transformers_or_are_remote_code():
    for record in MODEL_RECORDS:
        for arch in record.architectures:
            assert hasattr(transformers, arch) or arch in REMOTE_CODE_ARCHITECTURES, (
                record.name,
                arch,
            )
        for config_type in record.config_model_types:
            native = config_type in transformers.CONFIG_MAPPING
            assert native or {"qwen", "chatglm", "internlm2", "internlm3"} >= {config_type}, (
                record.name,
                config_type,
            )


def test_expected_model_types_are_present():
    names = {r.name for r in MODEL_RECORDS}
    assert {
        "qwen2",
        "qwen2_5",
        "qwen3",
        "llama",
        "llama3",
        "llama3_1",
        "llama3_2",
        "mistral",
        "gemma2",
        "gemma3_text",
        "phi3",
        "phi4",
        "glm4",
        "internlm2",
        "internlm3",
        "yi",
        "deepseek",
        "deepseek_v2_5",
        "deepseek_r1_distill",
    } <= names


def test_kernel_registers_the_records_with_provider():
    kernel = Kernel(builtins=(), use_entry_points=False, strict=True)
    kernel.register(hooks, "transformers", distribution="swift-transformers", version="0.1.0")
    models = kernel.registry("models")
    from swift_transformers.vision.catalog import VISION_MODEL_RECORDS

    assert models.names() == sorted(r.name for r in (*MODEL_RECORDS, *VISION_MODEL_RECORDS))
    record = models.get("qwen2_5")
    assert record.template == "qwen2_5"
    assert record.provider.distribution == "swift-transformers"
    assert models.load("qwen3").__name__ == "load_causal_lm"


_SIBLING_CATALOGS = (
    "swift_transformers.data.catalog",
    "swift_transformers.train.catalog",
    "swift_transformers.engine.catalog",
)


def _missing_catalogs() -> list[str]:
    missing = []
    for name in _SIBLING_CATALOGS:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(name)
    return missing


@pytest.mark.skipif(
    bool(_missing_catalogs()),
    reason=f"other swift-transformers catalogs not written yet: {_missing_catalogs()}",
)
def test_swift_plugins_list_shows_swift_transformers_providing_models():
    out = subprocess.run(
        [sys.executable, "-m", "swift.cli.main", "plugins", "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    plugins = {p["distribution"]: p for p in json.loads(out)["plugins"] if p.get("distribution")}
    provided = plugins["swift-transformers"]["provides"]["models"]
    assert {"qwen2_5", "qwen3", "llama3_2", "glm4"} <= set(provided)
    assert plugins["swift-transformers"]["status"] == "active"
