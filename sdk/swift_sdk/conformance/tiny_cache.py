"""Tiny offline models and tokenizers for the checks, built once per process."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path
from typing import Any

from swift_sdk.tiny import build_tiny_model, build_tokenizer
from swift_sdk.tiny_vision import TINY_AUDIO_ARCHS, TINY_VISION_ARCHS, build_tiny_vision_model


@functools.cache
def _workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="swift-conformance-"))
    atexit.register(shutil.rmtree, path, True)
    return path


@functools.cache
def tiny_model_dir(arch: str = "qwen3") -> str:
    """A saved tiny causal LM of ``arch`` (a transformers ``model_type``) with its tokenizer.

    A vision-language or audio ``arch`` (``TINY_VISION_ARCHS``, ``TINY_AUDIO_ARCHS``) gets its processor too.
    """
    if arch in TINY_VISION_ARCHS + TINY_AUDIO_ARCHS:
        return str(build_tiny_vision_model(_workdir() / arch, arch))
    return str(build_tiny_model(_workdir() / arch, arch))


@functools.cache
def tiny_tokenizer() -> Any:
    """The SDK's tiny BPE tokenizer (it knows the special tokens of the common templates)."""
    return build_tokenizer()


def scratch_dir(prefix: str) -> str:
    """A fresh folder under the process's conformance work dir."""
    return tempfile.mkdtemp(prefix=prefix, dir=_workdir())
