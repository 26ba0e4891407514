"""Loader of the ``example-tiny`` model type."""

from __future__ import annotations

from typing import Any

from swift_transformers.api import load_causal_lm

from swift.kernel import ModelRecord, UsageError


def load_example_tiny(model_dir: str, args: Any, record: ModelRecord) -> tuple[Any, Any]:
    """Load an example-tiny checkpoint: swift-transformers' causal-LM loader, Llama only.

    Delegating keeps every model flag working (``--torch_dtype``, ``--attn_impl``,
    ``--model_kwargs`` …); the type only adds its own check and default template.

    Raises:
        UsageError: When the checkpoint is not a Llama-architecture model.
    """
    model, tokenizer = load_causal_lm(model_dir, args, record)
    if model.config.model_type != "llama":
        raise UsageError(
            f"model type {record.name!r} expects a Llama-architecture checkpoint; {model_dir} is "
            f"{model.config.model_type!r}. Drop --model_type to let swift detect it."
        )
    return model, tokenizer
