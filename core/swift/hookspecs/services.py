"""Hook specifications of the shared heavy services: the seams between the core and plugins.

A command body in the core never imports a plugin's module. When it needs something
only a plugin can do — load a model, read datasets, quantize, upload — it calls one of
these ``firstresult`` hooks through :mod:`swift.services` and the first plugin that
answers (returns something other than ``None``) does the work. ``swift-transformers``
implements all of them; a plugin that wants to replace one (say, a ModelScope loader)
implements the same hook with ``@hookimpl(tryfirst=True)``.

The kernel loads the entry points of the family named in :data:`SERVICE_FAMILIES`
before calling a hook, so a plugin implementing ``swift_load_model`` must be listed
under the ``swift.models`` entry-point group (``swift_load_datasets``:
``swift.datasets``; quantize and push: ``swift.models``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from swift.kernel.markers import hookspec

if TYPE_CHECKING:
    from swift.contracts import LoadedModel, Quantizer

#: Hook → the family whose entry points are loaded before it is called.
SERVICE_FAMILIES = {
    "swift_resolve_model_dir": "models",
    "swift_load_tokenizer": "models",
    "swift_load_model": "models",
    "swift_load_datasets": "datasets",
    "swift_get_quantizer": "models",
    "swift_push_to_hub": "models",
}


@hookspec(firstresult=True)
def swift_resolve_model_dir(args: Any) -> str | None:
    """Turn ``--model`` (a hub id or a path) into a local folder.

    Args:
        args: Arguments with the model flags (``model``, ``model_revision``, ``hub_token`` …).

    Returns:
        The folder, or ``None`` to let another plugin answer.

    Raises:
        UsageError: The model cannot be had (missing folder, offline hub, gated repo).

    Example::

        @hookimpl(tryfirst=True)
        def swift_resolve_model_dir(args):
            if str(args.model).startswith("acme://"):
                return fetch_from_acme(args.model)
            return None
    """


@hookspec(firstresult=True)
def swift_load_tokenizer(model_dir: str, args: Any) -> Any:
    """The tokenizer of the checkpoint in ``model_dir`` (with a pad token), or ``None``."""


@hookspec(firstresult=True)
def swift_load_model(args: Any, model_dir: str | None) -> LoadedModel | None:
    """Load the model of ``args``: resolve ``--model``, pick the model type, call its loader.

    Args:
        args: Arguments with the model flags.
        model_dir: An already resolved folder, or ``None`` to resolve ``args.model``.

    Returns:
        ``(model, tokenizer, record)`` — see :class:`swift.contracts.LoadedModel` —
        or ``None`` to let another plugin answer.
    """


@hookspec(firstresult=True)
def swift_load_datasets(args: Any, require_response: bool | None) -> tuple[Any, Any] | None:
    """Read ``--dataset``/``--val_dataset`` into ``(train, val)`` of standardized rows.

    Rows hold ``messages`` plus every extra column; bad rows are dropped and counted
    (or raised with ``--strict``); ``val`` is ``None`` when nothing is held out.

    Args:
        args: Arguments with the data flags.
        require_response: Whether a row needs a final assistant turn (``None``: the
            command's default — yes for training, no for inference).
    """


@hookspec(firstresult=True)
def swift_get_quantizer(method: str) -> Quantizer | None:
    """The quantizer of ``--quant_method method`` (see :class:`swift.contracts.Quantizer`)."""


@hookspec(firstresult=True)
def swift_push_to_hub(
    folder: str, repo_id: str, token: str | None, private: bool, commit_message: str | None, use_hf: bool
) -> str | None:
    """Upload ``folder`` to the hub repository ``repo_id``; returns the commit URL.

    ``token`` is the value of ``--hub_token`` (or the environment's); a plugin must
    refuse to upload without credentials rather than fail half-way. ``use_hf`` is
    ``--use_hf``: Hugging Face rather than the default hub (ModelScope, as ms-swift).
    """
