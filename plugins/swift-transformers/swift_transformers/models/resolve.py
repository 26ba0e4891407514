"""Turn ``--model`` into a local folder: use a directory as is, download a hub id.

A hub id is ModelScope's unless ``--use_hf`` says Hugging Face (:mod:`swift_transformers.hub`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from swift.kernel import UsageError
from swift_transformers import hub

# Formats swift never loads; skipping them keeps a download to the weights it uses
# (Llama repos carry a second full copy of the weights under original/).
_IGNORE_PATTERNS = (
    "original/*",
    "*.gguf",
    "*.onnx",
    "*.onnx_data",
    "*.msgpack",
    "*.h5",
    "flax_model*",
    "tf_model*",
    "*.ot",
)


def _looks_like_path(model: str) -> bool:
    return model.startswith((".", "/", "~", "\\")) or os.path.isabs(model) or model.count("/") > 1


def _hub_error(model: str, reason: str, hub_name: str = "Hugging Face") -> UsageError:
    return UsageError(
        f"cannot get model {model!r} from {hub_name}: {reason} "
        "To use a model you already have, pass its local directory: "
        f"--model /path/to/{model.rsplit('/', 1)[-1]} "
        "(a folder with config.json, tokenizer files and weights)."
    )


def check_local_model(model: str) -> str | None:
    """The folder ``model`` names when it is local, ``None`` when it is a hub id.

    Light (no download): the check every command runs before any work.

    Raises:
        UsageError: ``model`` is a file, or looks like a path that does not exist.
    """
    local = Path(model).expanduser()
    if local.is_dir():
        return str(local)
    if local.exists():
        raise UsageError(f"--model {model!r} is a file; pass the directory that contains config.json and the weights.")
    if _looks_like_path(model):
        raise UsageError(f"--model {model!r}: no such directory. Pass an existing model directory or a hub id.")
    return None


def has_chat_template(folder: str) -> bool:
    """Whether a checkpoint folder ships a chat template (in tokenizer_config.json or a file of its own)."""
    import json

    root = Path(folder)
    if (root / "chat_template.jinja").is_file() or (root / "chat_template.json").is_file():
        return True
    try:
        config = json.loads((root / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(isinstance(config, dict) and config.get("chat_template"))


def resolve_model_dir(args: Any) -> str:
    """The local directory of ``--model``, downloading a hub id when needed.

    A path to an existing directory is returned unchanged. Anything else is a hub id,
    fetched from ModelScope (``modelscope-hub``), or from Hugging Face with ``--use_hf``
    (``huggingface_hub.snapshot_download``), at ``--model_revision`` with ``--hub_token``;
    a copy already in the hub's local cache is used offline.

    Args:
        args: Arguments with ``model``, ``model_revision``, ``hub_token`` and ``use_hf``.

    Raises:
        UsageError: ``--model`` is missing, names a missing path, or the hub id cannot be
            fetched (offline, unreachable, unknown, gated) — the message names the id and
            how to pass a local directory instead.
    """
    model = getattr(args, "model", None)
    if not model:
        raise UsageError("--model is required: a hub id (Qwen/Qwen2.5-7B-Instruct) or a local model directory.")
    model = os.fspath(model)
    local = check_local_model(model)
    if local is not None:
        return local
    revision, token = getattr(args, "model_revision", None), getattr(args, "hub_token", None)
    if hub.on_modelscope(args):
        try:
            return hub.modelscope_snapshot(
                model, revision=revision, token=token, ignore_patterns=list(_IGNORE_PATTERNS)
            )
        except hub.HubMiss as exc:
            raise _hub_error(model, f"{exc}. For a Hugging Face id pass --use_hf true.", "ModelScope") from None
    if not hub.use_hf(args):
        print(
            f"swift: modelscope-hub is not installed; fetching {model} from Hugging Face "
            "(pass --use_hf true to say so, or pip install modelscope-hub)",
            file=sys.stderr,
        )
    return _download(model, revision, token)


def _download(model: str, revision: str | None, token: str | None) -> str:
    from huggingface_hub import is_offline_mode, snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        HFValidationError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    try:
        return snapshot_download(model, revision=revision, token=token, ignore_patterns=list(_IGNORE_PATTERNS))
    except HFValidationError as exc:
        raise UsageError(f"--model {model!r} is neither an existing directory nor a valid hub id ({exc}).") from None
    except GatedRepoError:
        raise _hub_error(
            model, "the repository is gated; accept its license on the hub and pass --hub_token."
        ) from None
    except RepositoryNotFoundError:
        raise _hub_error(model, "no such repository on the hub (or it is private: pass --hub_token).") from None
    except RevisionNotFoundError:
        raise _hub_error(model, f"the hub has no revision {revision!r} of it.") from None
    except LocalEntryNotFoundError:
        # Raised both offline and when the hub cannot be reached, once the local cache misses.
        why = (
            "the model hub is unreachable (offline mode: HF_HUB_OFFLINE=1) and it is not in the local cache."
            if is_offline_mode()
            else "the model hub is unreachable (no connection) and it is not in the local cache."
        )
        raise _hub_error(model, why) from None
    except HfHubHTTPError as exc:
        raise _hub_error(model, f"the hub answered with an error: {exc}") from None
    except OSError as exc:  # httpx connection errors and disk errors surface as OSError subclasses
        raise _hub_error(
            model,
            f"the model hub is unreachable or the download failed ({type(exc).__name__}: {exc}).",
        ) from None
