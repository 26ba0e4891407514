"""Fixtures for template tests: tiny offline tokenizers dressed as each model family."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "chat_templates"

_DEEPSEEK = ("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>")
# (bos_token, eos_token) of each family's real tokenizer; ChatML families keep the tiny
# tokenizer's own (no BOS, EOS <|im_end|>).
FAMILY_TOKENS = {
    "default": ("<s>", "</s>"),
    "llama": ("<s>", "</s>"),
    "mistral": ("<s>", "</s>"),
    "mistral_v0_1": ("<s>", "</s>"),
    "mistral_v1": ("<s>", "</s>"),
    "mistral_nemo": ("<s>", "</s>"),
    "internlm2": ("<s>", "</s>"),
    "internlm3": ("<s>", "</s>"),
    "llama3": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama3_2": ("<|begin_of_text|>", "<|eot_id|>"),
    "gemma": ("<bos>", "<eos>"),
    "phi3": ("<s>", "<|endoftext|>"),
    "phi4_mini": (None, "<|endoftext|>"),
    "glm4": (None, "<|endoftext|>"),
    "glm4_5": (None, "<|endoftext|>"),
    "deepseek": _DEEPSEEK,
    "deepseek_v2_5": _DEEPSEEK,
    "deepseek_r1": _DEEPSEEK,
}


def published_template(name: str) -> str:
    """The published Jinja chat template of ``name`` (fixture file)."""
    return (FIXTURES / f"{name}.jinja").read_text(encoding="utf-8").removesuffix("\n")


@pytest.fixture(scope="session")
def chatml_tokenizer():
    """The SDK's tiny tokenizer: byte-level BPE, EOS <|im_end|>, ChatML chat template."""
    from swift_sdk.tiny import build_tokenizer

    return build_tokenizer()


@pytest.fixture(scope="session")
def family_tokenizer(chatml_tokenizer):
    """``family_tokenizer(name)``: the tiny tokenizer with the family's BOS/EOS and its
    published chat template, so ``apply_chat_template`` renders what the real one does."""
    cache = {}

    def make(name: str):
        if name not in cache:
            tok = copy.deepcopy(chatml_tokenizer)
            bos, eos = FAMILY_TOKENS.get(name, (None, "<|im_end|>"))
            tok.bos_token = bos
            tok.eos_token = eos
            tok.chat_template = published_template(name)
            cache[name] = tok
        return cache[name]

    return make


@pytest.fixture
def fresh_kernel():
    """A kernel with the builtins only, installed as the process kernel for one test."""
    from swift.kernel import Kernel, set_kernel

    kernel = Kernel(use_entry_points=False, strict=True)
    previous = set_kernel(kernel)
    yield kernel
    set_kernel(previous)
