"""Which hub serves a hub id, and the ModelScope client.

ms-swift's rule, kept here: a hub id (model, named dataset, ``--push_to_hub`` target) is on
ModelScope unless ``--use_hf true`` (or ``USE_HF=1``) says Hugging Face. ModelScope is reached
through ``modelscope-hub``, ModelScope's hub client (``modelscope.snapshot_download`` delegates
to it), installed with this plugin; the 70 MB ``modelscope`` framework is not needed. Hugging
Face goes through ``huggingface_hub``.

Offline: ``HF_HUB_OFFLINE=1`` (transformers' switch) or ``MODELSCOPE_OFFLINE=1`` make both hubs
read only their local caches — ModelScope's (``$MODELSCOPE_CACHE``, default
``~/.cache/modelscope``: ``models/org--name/snapshots/<revision>``, and the older
``hub/models/org/name`` layout) and Hugging Face's (``$HF_HUB_CACHE``). Online, a hub that
cannot be reached also falls back to its cache, as ``huggingface_hub`` does.

Light: the hub clients are imported inside the functions.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

_TRUE = ("1", "true", "yes", "on")


def use_hf(args: Any = None) -> bool:
    """``--use_hf``, or ``USE_HF`` in the environment (ms-swift's switch)."""
    return bool(getattr(args, "use_hf", False)) or os.environ.get("USE_HF", "").lower() in _TRUE


def offline() -> bool:
    """Whether no hub may be contacted (``HF_HUB_OFFLINE`` or ``MODELSCOPE_OFFLINE``)."""
    return any(os.environ.get(k, "").lower() in _TRUE for k in ("HF_HUB_OFFLINE", "MODELSCOPE_OFFLINE"))


def modelscope_installed() -> bool:
    """Whether ModelScope's hub client can be imported."""
    return importlib.util.find_spec("modelscope_hub") is not None


def on_modelscope(args: Any = None) -> bool:
    """Whether hub ids of this run are ModelScope's (the default) rather than Hugging Face's."""
    return not use_hf(args) and modelscope_installed()


class HubMiss(Exception):
    """A hub could not provide a repository; the message says why, for the user."""


def modelscope_snapshot(
    repo_id: str,
    repo_type: str = "model",
    *,
    revision: str | None = None,
    token: str | None = None,
    ignore_patterns: list[str] | None = None,
) -> str:
    """The local folder of a ModelScope repository, downloaded or from the cache.

    Raises:
        HubMiss: No such repository, no access, not in the cache when offline or unreachable.
    """
    from modelscope_hub import HubApi
    from modelscope_hub.errors import (
        AuthenticationError,
        CacheNotFound,
        HubError,
        NetworkError,
        NotExistError,
        PermissionDeniedError,
    )

    api = HubApi(token=token) if token else HubApi()
    kwargs: dict[str, Any] = {"revision": revision, "ignore_patterns": ignore_patterns}

    def cached(why: str) -> str:
        try:
            return str(api.download_repo(repo_id, repo_type, local_files_only=True, **kwargs))
        except CacheNotFound as exc:
            raise HubMiss(f"{why} and it is not in ModelScope's local cache ({exc})") from None

    if offline():
        return cached("offline (HF_HUB_OFFLINE/MODELSCOPE_OFFLINE): only local caches are read,")
    try:
        return str(api.download_repo(repo_id, repo_type, **kwargs))
    except NetworkError as exc:
        return cached(f"ModelScope is unreachable ({type(exc).__name__}: {exc})")
    except (AuthenticationError, PermissionDeniedError):
        raise HubMiss("ModelScope refused access: the repository is private or gated; pass --hub_token") from None
    except NotExistError:
        raise HubMiss(
            f"ModelScope has no {repo_type} repository {repo_id!r} (revision {revision or 'master'})"
        ) from None
    except HubError as exc:
        raise HubMiss(f"ModelScope answered with an error: {type(exc).__name__}: {exc}") from None


def modelscope_token(token: str | None) -> str | None:
    """``token``, else ModelScope's own (``MODELSCOPE_API_TOKEN`` or a saved ``modelscope login``)."""
    if token:
        return token
    from modelscope_hub import HubConfig

    return HubConfig().token or None
