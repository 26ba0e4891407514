"""HTTP client of a rollout server (``swift rollout``): generation and weight pushes.

It speaks the protocol written down in ``docs/rollout.md``:

* ``GET /health`` → ``{"status": "ok", "model": ..., "weight_formats": ["full", "lora"]}``
* ``POST /infer`` ``{"requests": [InferRequest], "request_config": RequestConfig}`` →
  ``{"responses": [ChatCompletionResponse]}``
* ``POST /update_weights`` with safetensors bytes (``X-Swift-Weights: full|lora``) or
  JSON ``{"path": ..., "kind": ...}`` → ``{"version": N, "updated": K}``

The client is an engine of the serving protocol (``infer``), so GRPO samples through
it exactly as through the local ``pt`` engine. Only the standard library is used.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from swift.kernel import UsageError
from swift.protocol import ChatCompletionResponse, InferRequest, RequestConfig

WEIGHTS_HEADER = "X-Swift-Weights"
LORA_CONFIG_HEADER = "X-Swift-Lora-Config"
CHUNK_HEADER = "X-Swift-Weights-Chunk"


class RolloutServerError(UsageError):
    """The rollout server refused a request or cannot be reached; the message says which."""


def server_api_key(args: Any) -> str | None:
    """``--vllm_server_api_key``, else ``$SWIFT_API_KEY`` (so the key need not be on the command line)."""
    import os

    from swift.arguments.infer import API_KEY_ENV

    return getattr(args, "vllm_server_api_key", None) or os.environ.get(API_KEY_ENV) or None


def server_url(args: Any) -> str:
    """``--vllm_server_base_url``, else ``http://<--vllm_server_host>:<--vllm_server_port>``."""
    base = getattr(args, "vllm_server_base_url", None)
    if base:
        return base.rstrip("/")
    host = getattr(args, "vllm_server_host", None)
    if not host:
        raise UsageError(
            "--vllm_mode server needs the rollout server: pass --vllm_server_host (and "
            "--vllm_server_port) or --vllm_server_base_url"
        )
    return f"http://{host}:{getattr(args, 'vllm_server_port', 8000)}"


class RolloutClient:
    """Talks to one rollout server.

    Args:
        base_url: ``http://host:port`` of the server.
        timeout: Seconds to wait for the server to come up and for each weight push.
        wait: Poll ``/health`` until the server answers (up to ``timeout``).

    Attributes:
        info: The server's ``/health`` answer (``model``, ``weight_formats`` …).
    """

    def __init__(self, base_url: str, timeout: float = 240.0, *, wait: bool = True, api_key: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._auth = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.info: dict[str, Any] = self.wait_until_ready(timeout) if wait else {}

    # ------------------------------------------------------------------ transport
    def _call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        request = urllib.request.Request(
            self.base_url + path, data=body, method=method, headers={**self._auth, **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:500]
            raise RolloutServerError(f"rollout server {self.base_url}{path} answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            raise RolloutServerError(
                f"cannot reach the rollout server at {self.base_url} ({exc}); start one with "
                "`swift rollout --model <model>` and pass its host/port"
            ) from None
        return json.loads(payload) if payload else {}

    def _post_json(self, path: str, data: dict[str, Any], timeout: float | None) -> dict:
        body = json.dumps(data).encode("utf-8")
        return self._call("POST", path, body, {"Content-Type": "application/json"}, timeout)

    # ------------------------------------------------------------------ API
    def health(self) -> dict[str, Any]:
        """``GET /health``."""
        return self._call("GET", "/health", timeout=min(self.timeout, 10.0))

    def wait_until_ready(self, timeout: float) -> dict[str, Any]:
        """Poll ``/health`` until it answers; returns its body.

        Raises:
            RolloutServerError: When nothing answers within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.health()
            except RolloutServerError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.5)

    def infer(
        self,
        requests: Sequence[InferRequest],
        request_config: RequestConfig | None = None,
        *,
        adapter: str | None = None,
    ) -> list[ChatCompletionResponse]:
        """``POST /infer``: one response per request (``request_config.n`` choices each)."""
        config = request_config or RequestConfig()
        payload: dict[str, Any] = {
            # only the conversation: a RolloutRequest's dataset columns stay in the trainer
            "requests": [_request_body(r) for r in requests],
            "request_config": config.to_dict(),
        }
        if adapter is not None:
            payload["adapter"] = adapter
        # generation of a whole round may take long; no client-side limit
        answer = self._post_json("/infer", payload, timeout=None)
        responses = [ChatCompletionResponse.from_dict(r) for r in answer.get("responses", [])]
        if len(responses) != len(requests):
            raise RolloutServerError(f"the rollout server answered {len(responses)} of {len(requests)} requests")
        return responses

    def push_safetensors(
        self,
        data: bytes,
        kind: str = "full",
        *,
        lora_config: dict[str, Any] | None = None,
        chunk: tuple[int, int] | None = None,
    ) -> dict[str, Any]:
        """``POST /update_weights`` with a safetensors payload.

        Args:
            data: ``safetensors.torch.save(tensors)`` bytes; names as in the model's
                ``state_dict`` on the hub (``model.layers.0.self_attn.q_proj.weight``).
            kind: ``full`` (replace these weights) or ``lora`` (a peft adapter).
            lora_config: The adapter's ``adapter_config.json`` (``kind="lora"``).
            chunk: ``(i, n)``: part ``i`` (1-based) of ``n``; the server bumps its weight
                version after the last part.
        """
        headers = {"Content-Type": "application/octet-stream", WEIGHTS_HEADER: kind}
        if lora_config is not None:
            headers[LORA_CONFIG_HEADER] = json.dumps(lora_config, separators=(",", ":"))
        if chunk is not None:
            headers[CHUNK_HEADER] = f"{chunk[0]}/{chunk[1]}"
        return self._call("POST", "/update_weights", data, headers, timeout=self.timeout)

    def push_path(self, path: str, kind: str = "full") -> dict[str, Any]:
        """``POST /update_weights`` naming a folder on a filesystem the server shares."""
        return self._post_json("/update_weights", {"path": path, "kind": kind}, self.timeout)

    def supports(self, weight_format: str) -> bool:
        """Whether ``/health`` lists ``weight_format`` (``full`` is always accepted)."""
        return weight_format == "full" or weight_format in self.info.get("weight_formats", ())

    def close(self) -> None:
        """Nothing to release: every call is its own HTTP request."""


def _request_body(request: InferRequest) -> dict[str, Any]:
    """The JSON of one ``/infer`` request: messages, or raw text / token ids to continue as they are.

    A vision prompt's media travel as ``data:`` URLs (the server reads no files of the trainer's
    and fetches nothing unless started with ``--allow_remote_media``); ``http(s)`` URLs as they are.
    """
    body: dict[str, Any] = {"messages": request.messages, "tools": request.tools, "system": request.system}
    if request.prompt is not None:
        body["prompt"] = request.prompt
    if request.prompt_ids is not None:
        body["prompt_ids"] = list(request.prompt_ids)  # a multi-turn rollout continued from sampled ids
    for column, kind in (("images", "image"), ("videos", "video"), ("audios", "audio")):
        media = getattr(request, column, None) or []
        if media:
            body[column] = [media_url(value, kind) for value in media]
    return body


_DEFAULT_MIME = {"image": "image/png", "video": "video/mp4", "audio": "audio/wav"}


def media_url(value: Any, kind: str) -> str:
    """``value`` (a path, URL, bytes, ``{"bytes": …}`` or a PIL image) as a URL the rollout server takes."""
    import base64
    import io
    import mimetypes

    mime = _DEFAULT_MIME[kind]
    if isinstance(value, dict):  # a datasets Image/Audio cell
        value = value.get("bytes") or value.get("path")
    if isinstance(value, str):
        if value.startswith(("data:", "http://", "https://")):
            return value
        path = value[len("file://") :] if value.startswith("file://") else value
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise UsageError(f"{kind} {value!r} of a rollout prompt cannot be read: {exc}") from exc
        mime = mimetypes.guess_type(path)[0] or mime
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif hasattr(value, "save"):  # a PIL image
        buffer = io.BytesIO()
        value.save(buffer, format="PNG")
        data, mime = buffer.getvalue(), "image/png"
    else:
        raise UsageError(f"a rollout prompt's {kind} is a {type(value).__name__}; give a path, URL or bytes")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
