"""``swift export --push_to_hub``: upload a folder to a Hugging Face Hub model repository."""

from __future__ import annotations

import os
import sys

from swift.kernel import SwiftError, UsageError


def push_folder(
    folder: str,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool = False,
    commit_message: str = "update files",
) -> str:
    """Create ``repo_id`` if needed and upload every file of ``folder`` in one commit.

    Args:
        folder: Local folder to upload (a merged/quantized model or an adapter).
        repo_id: ``--hub_model_id``, ``owner/name``.
        token: ``--hub_token``; None uses the locally saved login or ``HF_TOKEN``.
        private: ``--hub_private_repo``: create the repository as private.
        commit_message: ``--commit_message``.

    Returns:
        The URL of the commit.

    Raises:
        UsageError: ``folder`` is not a directory.
        SwiftError: The hub cannot be reached (offline mode included), the token is
            missing or refused; the message names the repository.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError

    if not os.path.isdir(folder):
        raise UsageError(f"--push_to_hub: {folder!r} is not a folder to upload.")
    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        commit = api.upload_folder(
            folder_path=folder, repo_id=repo_id, repo_type="model", commit_message=commit_message
        )
    except HFValidationError as exc:
        raise UsageError(f"--hub_model_id {repo_id!r} is not a valid repository id: {exc}") from exc
    except (HfHubHTTPError, OSError) as exc:
        # OSError covers offline mode (OfflineModeIsEnabled) and connection failures.
        raise SwiftError(
            f"--push_to_hub: could not push {folder} to the hub repository {repo_id!r}: {exc} "
            "Check the network, that HF_HUB_OFFLINE is unset, and your token "
            "(--hub_token or `hf auth login`)."
        ) from exc
    url = getattr(commit, "commit_url", None) or f"https://huggingface.co/{repo_id}"
    print(f"swift export: pushed {folder} to {url}", file=sys.stderr)
    return url
