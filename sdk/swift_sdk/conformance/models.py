"""Model-type conformance: the record's loader loads a tiny model of its architecture."""

from __future__ import annotations

import functools

from swift.kernel import load_object
from swift.kernel.records import ModelRecord
from swift_sdk.conformance.arguments import command_args
from swift_sdk.conformance.errors import CheckSkipped, fail
from swift_sdk.conformance.plugin import PluginUnderTest
from swift_sdk.conformance.tiny_cache import tiny_model_dir


def config_model_type(record: ModelRecord) -> str | None:
    """The transformers ``model_type`` a tiny checkpoint for ``record`` is built as.

    Taken from ``config_model_types``, else from the causal-LM class named in
    ``architectures`` (``LlamaForCausalLM`` → ``llama``); None when neither is known.
    """
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    for model_type in record.config_model_types:
        if model_type in CONFIG_MAPPING_NAMES:
            return model_type
    by_class = {cls: mt for mt, cls in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.items() if isinstance(cls, str)}
    for architecture in record.architectures:
        if architecture in by_class:
            return by_class[architecture]
    return None


@functools.cache
def _runnable_tiny_model(model_type: str) -> str:
    """A tiny checkpoint of ``model_type`` that plain transformers loads and runs.

    Raises:
        CheckSkipped: When the generic tiny config does not suit the architecture (MLA
            attention, remote code …): then a failure would say nothing about the loader.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForImageTextToText, AutoModelForMultimodalLM

    from swift_sdk.tiny_vision import TINY_AUDIO_ARCHS, TINY_VISION_ARCHS

    auto = AutoModelForImageTextToText if model_type in TINY_VISION_ARCHS else AutoModelForCausalLM
    auto = AutoModelForMultimodalLM if model_type in TINY_AUDIO_ARCHS else auto
    try:
        path = tiny_model_dir(model_type)
        with torch.no_grad():
            auto.from_pretrained(path)(input_ids=torch.tensor([[1, 2, 3]]))
    except Exception as exc:  # noqa: BLE001 - some architectures need more than a generic config
        raise CheckSkipped(f"no runnable tiny {model_type!r} checkpoint can be built offline: {exc}") from exc
    return path


def check_model(plugin: PluginUnderTest, name: str, model_dir: str | None = None) -> None:
    """Load a tiny checkpoint through the model type ``name``'s loader and run it.

    Checks: the loader returns ``(model, tokenizer)`` for ``swift sft --model_type
    name``'s arguments; the model computes logits over the tokenizer's vocabulary for
    an encoded prompt; the record's default template encodes a prompt with that tokenizer.

    Args:
        plugin: From :func:`~swift_sdk.conformance.load_plugin`.
        name: The ``--model_type``.
        model_dir: A checkpoint of the type; default a tiny one built from the record's
            architecture.

    Raises:
        CheckSkipped: When no ``model_dir`` is given and transformers cannot build a tiny
            model of the record's architecture (remote code, multimodal …).
        ConformanceError: Naming the model type and what the loader got wrong.
    """
    import torch

    record = plugin.record("models", name)

    def problem(text: str) -> Exception:
        return fail(plugin.label, text, family="models", record=name)

    if model_dir is None:
        model_type = config_model_type(record)
        if model_type is None:
            raise CheckSkipped(
                f"model type {name!r}: no transformers causal LM matches architectures="
                f"{record.architectures} / config_model_types={record.config_model_types}; pass a "
                "checkpoint (model_dirs = {...} in the conformance class) to check its loader"
            )
        model_dir = _runnable_tiny_model(model_type)
    args = command_args(plugin, "sft", ["--model", model_dir, "--model_type", name])
    with plugin.active():
        loader = load_object(record.load, what=f"loader of model type {name!r}")
        try:
            loaded = loader(model_dir, args, record)
        except Exception as exc:  # noqa: BLE001 - reported to the author
            raise problem(f"its loader fails on a tiny checkpoint that transformers loads: {exc}") from exc
        if not isinstance(loaded, tuple) or len(loaded) != 2:
            raise problem(f"the loader {record.load} must return (model, tokenizer), got {type(loaded).__name__}")
        model, tokenizer = loaded
        ids = tokenizer.encode("hello there", add_special_tokens=False)
        if not ids:
            raise problem("the tokenizer the loader returned encodes 'hello there' to no tokens")
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids])).logits
        if tuple(logits.shape[:2]) != (1, len(ids)) or logits.shape[-1] < len(tokenizer):
            raise problem(f"logits of shape {tuple(logits.shape)} do not cover {len(ids)} tokens × the vocabulary")
        if record.template:
            from swift.template import get_template

            prompt = get_template(record.template, tokenizer).encode_prompt([{"role": "user", "content": "hi"}])
            if not prompt:
                raise problem(f"its template {record.template!r} encodes a prompt to no tokens")
