"""Shared services every plugin and command uses, one implementation each.

Light services are plain functions here (pure Python, no heavy import):

* :func:`parse_adapter_specs` / :func:`adapter_paths` — ``--adapters name=path``;
* :class:`PromptEncoder` — a request's prompt ids through the template (every engine);
* :func:`split_stops` — stop words as token ids and strings;
* :func:`checkpoint_missing` / :func:`check_checkpoint` — what a checkpoint folder lacks to be loaded or resumed;
* :func:`select_model_record` / :func:`read_config` — model type from ``config.json``.

Heavy services are seams: :func:`load_model`, :func:`load_tokenizer`,
:func:`resolve_model_dir`, :func:`load_datasets`, :func:`get_quantizer` and
:func:`push_to_hub` call the ``firstresult`` hooks of :mod:`swift.hookspecs.services`,
so the core and other plugins reach model and dataset loading without importing the
plugin that implements them::

    from swift.services import load_model
    model, tokenizer, record = load_model(args)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from swift.services.adapters import adapter_paths, adapter_tuner, parse_adapter_specs, trains_full_weights
from swift.services.checkpoints import check_checkpoint, checkpoint_missing
from swift.services.stops import split_stops

if TYPE_CHECKING:
    from swift.arguments import BaseArguments
    from swift.contracts import LoadedModel, Quantizer

__all__ = [
    "GENERIC_MODEL_TYPE",
    "PromptEncoder",
    "adapter_paths",
    "adapter_tuner",
    "call_service",
    "check_checkpoint",
    "checkpoint_missing",
    "get_quantizer",
    "load_datasets",
    "load_model",
    "load_tokenizer",
    "parse_adapter_specs",
    "push_to_hub",
    "read_config",
    "resolve_model_dir",
    "select_model_record",
    "split_stops",
    "trains_full_weights",
]

# How errors name the work of a seam nobody answers (its family: SERVICE_FAMILIES).
_WHAT = {
    "swift_resolve_model_dir": "loading a model",
    "swift_load_tokenizer": "loading a tokenizer",
    "swift_load_model": "loading a model",
    "swift_load_datasets": "reading datasets",
    "swift_get_quantizer": "quantizing a model",
    "swift_push_to_hub": "uploading to the hub",
}


def __getattr__(name: str) -> Any:
    # The encoder imports the protocol and templates; detection the kernel registries.
    if name == "PromptEncoder":
        from swift.services.prompts import PromptEncoder

        return PromptEncoder
    if name in ("select_model_record", "read_config", "checkpoint_info", "GENERIC_MODEL_TYPE"):
        from swift.services import detect

        return getattr(detect, name)
    raise AttributeError(name)


def call_service(hook: str, **kwargs: Any) -> Any:
    """Call the seam ``hook`` and return the first plugin's answer.

    Raises:
        MissingProviderError: No loaded plugin implements it (naming what to install).
    """
    from swift.kernel import MissingProviderError, get_kernel
    from swift.kernel.families import get_family, install_hint

    result = get_kernel().call_service(hook, **kwargs)
    if result is None:
        from swift.hookspecs.services import SERVICE_FAMILIES

        what, family = _WHAT[hook], SERVICE_FAMILIES[hook]
        provider = get_family(family).provided_by
        raise MissingProviderError(f"no installed plugin provides {what} ({hook}); {install_hint(provider)}.", family)
    return result


def resolve_model_dir(args: BaseArguments) -> str:
    """The local folder of ``--model`` (downloaded when it is a hub id)."""
    return call_service("swift_resolve_model_dir", args=args)


def load_tokenizer(model_dir: str, args: BaseArguments = None) -> Any:
    """The tokenizer of ``model_dir`` with a pad token."""
    return call_service("swift_load_tokenizer", model_dir=model_dir, args=args)


def load_model(args: BaseArguments, *, model_dir: str | None = None) -> LoadedModel:
    """``(model, tokenizer, record)`` for the model flags of ``args``."""
    return call_service("swift_load_model", args=args, model_dir=model_dir)


def load_datasets(args: BaseArguments, *, require_response: bool | None = None) -> tuple[Any, Any]:
    """``(train, val)`` datasets of standardized rows for the data flags of ``args``."""
    return call_service("swift_load_datasets", args=args, require_response=require_response)


def get_quantizer(method: str) -> Quantizer:
    """The quantizer of ``--quant_method method``."""
    return call_service("swift_get_quantizer", method=method)


def push_to_hub(
    folder: str,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool = False,
    commit_message: str | None = None,
    use_hf: bool = False,
) -> str:
    """Upload ``folder`` to ``repo_id`` (on Hugging Face with ``use_hf``); returns the commit URL."""
    return call_service(
        "swift_push_to_hub",
        folder=folder,
        repo_id=repo_id,
        token=token,
        private=private,
        commit_message=commit_message,
        use_hf=use_hf,
    )
