"""Fixtures of the engine tests: a real PtEngine on the tiny model, a real LoRA adapter."""

from __future__ import annotations

import pytest

PROMPTS = (
    "hello",
    "What is the weather today in the city?",
    "one two three",
    "Write python code to sum a list",
    "你好，世界",
)


@pytest.fixture(autouse=True, scope="module")
def module_kernel():
    """A kernel of its own (installed entry points, as a user has them) per test module."""
    from swift.kernel import Kernel, set_kernel

    previous = set_kernel(Kernel(strict=True))
    yield
    set_kernel(previous)


def _make_engine(model_dir: str, **flags):
    from swift_transformers.engine.pt import PtEngine

    from swift.arguments import InferArguments

    return PtEngine(InferArguments(model=model_dir, **flags))


@pytest.fixture
def make_engine():
    """``make_engine(model_dir, **flags)``: a PtEngine built as `swift infer` builds it; closed after the test."""
    engines = []

    def make(model_dir: str, **flags):
        engines.append(_make_engine(model_dir, **flags))
        return engines[-1]

    yield make
    for engine in engines:
        engine.close()


@pytest.fixture(scope="module")
def engine(tiny_model_dir, module_kernel):
    """One engine on the tiny model for the module (batches of up to 8 sequences)."""
    engine = _make_engine(tiny_model_dir, max_batch_size=8)
    yield engine
    engine.close()


@pytest.fixture
def prompts():
    return PROMPTS


@pytest.fixture
def ask():
    """``ask("hi")`` → an InferRequest with one user message."""
    from swift.protocol import InferRequest

    return lambda text, **kw: InferRequest(messages=[{"role": "user", "content": text}], **kw)


@pytest.fixture(scope="session")
def lora_dir(tiny_model_dir, tmp_path_factory) -> str:
    """A LoRA adapter saved by peft for the tiny model, with random (non-zero) weights."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(1)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    # init_lora_weights=False draws B at random too, so the adapter changes the output.
    config = LoraConfig(r=8, lora_alpha=64, target_modules=["q_proj", "v_proj", "o_proj"], init_lora_weights=False)
    peft_model = get_peft_model(model, config)
    path = tmp_path_factory.mktemp("lora") / "checkpoint-1"
    peft_model.save_pretrained(path)
    return str(path)
