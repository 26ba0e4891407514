"""``swift export --push_to_hub``: upload a folder to a ModelScope (default) or Hugging Face model repository."""

from __future__ import annotations

import os
import sys

from swift.kernel import SwiftError, UsageError
from swift_transformers import hub


def push_folder(
    folder: str,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool = False,
    commit_message: str = "update files",
    use_hf: bool = False,
) -> str:
    """Create ``repo_id`` if needed and upload every file of ``folder`` in one commit.

    Args:
        folder: Local folder to upload (a merged/quantized model or an adapter).
        repo_id: ``--hub_model_id``, ``owner/name``.
        token: ``--hub_token``; None uses the hub's own: ``MODELSCOPE_API_TOKEN`` or a saved
            ``modelscope login``; ``HF_TOKEN`` or a saved ``hf auth login``.
        private: ``--hub_private_repo``: create the repository as private.
        commit_message: ``--commit_message``.
        use_hf: ``--use_hf`` (or ``USE_HF``): Hugging Face instead of ModelScope.

    Returns:
        The URL of the commit (Hugging Face) or of the repository (ModelScope).

    Raises:
        UsageError: ``folder`` is not a directory, or there are no credentials (weights are
            never pushed unauthenticated; the hub is not contacted).
        SwiftError: The hub cannot be reached (offline mode included), the token is
            refused; the message names the repository.
    """
    if not os.path.isdir(folder):
        raise UsageError(f"--push_to_hub: {folder!r} is not a folder to upload.")
    if hub.use_hf() or use_hf or not hub.modelscope_installed():
        return _push_hugging_face(folder, repo_id, token, private, commit_message)
    return _push_modelscope(folder, repo_id, token, private, commit_message)


def _no_credentials(folder: str, repo_id: str, hub_name: str, how: str) -> UsageError:
    return UsageError(
        f"--push_to_hub: no hub credentials to push {folder} to {repo_id!r} on {hub_name}; {how} "
        "(or pass --hub_token). swift never pushes weights unauthenticated."
    )


def _failed(folder: str, repo_id: str, hub_name: str, exc: Exception, check: str) -> SwiftError:
    return SwiftError(
        f"--push_to_hub: could not push {folder} to the {hub_name} repository {repo_id!r}: {exc} "
        f"Check the network, {check}, and your token."
    )


def _push_hugging_face(folder: str, repo_id: str, token: str | None, private: bool, commit_message: str) -> str:
    from huggingface_hub import HfApi, get_token
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError

    token = token or get_token()
    if not token:
        raise _no_credentials(folder, repo_id, "Hugging Face", "set HF_TOKEN or run `hf auth login`")
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
        raise _failed(folder, repo_id, "Hugging Face", exc, "that HF_HUB_OFFLINE is unset") from exc
    url = getattr(commit, "commit_url", None) or f"https://huggingface.co/{repo_id}"
    print(f"swift export: pushed {folder} to {url}", file=sys.stderr)
    return url


def _push_modelscope(folder: str, repo_id: str, token: str | None, private: bool, commit_message: str) -> str:
    from modelscope_hub import HubApi, HubConfig
    from modelscope_hub.errors import AlreadyExistsError, HubError

    token = hub.modelscope_token(token)
    if not token:
        raise _no_credentials(folder, repo_id, "ModelScope", "set MODELSCOPE_API_TOKEN or run `modelscope login`")
    if hub.offline():
        raise _failed(
            folder, repo_id, "ModelScope", OSError("offline mode is enabled."), "that HF_HUB_OFFLINE is unset"
        )
    api = HubApi(token=token)
    try:
        try:
            api.create_repo(repo_id, "model", visibility="private" if private else "public")
        except AlreadyExistsError:
            pass
        api.upload_folder(repo_id, "model", folder, commit_message=commit_message)
    except (HubError, OSError) as exc:
        raise _failed(folder, repo_id, "ModelScope", exc, "--use_hf for a Hugging Face repository") from exc
    url = f"{HubConfig().endpoint}/models/{repo_id}"
    print(f"swift export: pushed {folder} to {url}", file=sys.stderr)
    return url
