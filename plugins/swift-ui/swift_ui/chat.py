"""The chat panel of ``swift app`` and of the web UI's chat tab.

Every answer goes through the OpenAI protocol of ``swift deploy``: a local model is served
in-process on 127.0.0.1 by swift-serve's app (:func:`serve_locally`), a remote one is
reached at ``--base_url``; both are driven by the ``openai`` engine (``--infer_backend
openai``, :class:`swift.protocol.InferEngine`), so the app behaves as any client would.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

from swift.contracts import load_engine
from swift.kernel import SwiftError
from swift.protocol import InferRequest, RequestConfig
from swift_ui.i18n import Texts


@dataclasses.dataclass
class ChatTarget:
    """A server the panel chats with.

    Attributes:
        engine: The ``openai`` engine over the server.
        url: The server's API root (``http://host:port/v1``).
        names: The model and adapter names the server answers to (the first is the default).
    """

    engine: Any
    url: str
    names: list[str]

    def close(self) -> None:
        """Stop the engine's request threads (the server is left running)."""
        self.engine.close()


def connect(base_url: str, api_key: str | None = None, model: str | None = None, timeout: float = 600.0) -> ChatTarget:
    """Open the ``openai`` engine on an OpenAI-compatible server (lists its models first).

    ``model`` is the served name to use by default (unset: the first one the server lists).

    Raises:
        UsageError: The server lists no models or refuses the key.
        SwiftError: The server cannot be reached.
    """
    settings = SimpleNamespace(
        base_url=base_url, api_key=api_key, model=model, request_timeout=timeout, max_concurrency=8
    )
    engine = load_engine("openai")(settings)
    return ChatTarget(engine, engine.base_url, [engine.model_name, *engine.adapter_names])


@contextlib.contextmanager
def serve_locally(args: Any) -> Iterator[str]:
    """Serve ``args`` (``AppArguments``: model, adapters, engine) on 127.0.0.1 for this process; yields its API root."""
    from swift_serve.api import serve_in_process

    with serve_in_process(args) as server:
        yield server.url + "/v1"


@dataclasses.dataclass
class GenerationDefaults:
    """The sliders' starting values (from the command's generation flags)."""

    temperature: float = 0.7
    top_p: float = 1.0
    top_k: int = 0
    max_new_tokens: int = 512
    repetition_penalty: float = 1.0
    stream: bool = True

    @classmethod
    def from_args(cls, args: Any) -> GenerationDefaults:
        """The flags ``args`` sets (``--temperature`` …); the others keep these defaults."""
        out = cls()
        for f in dataclasses.fields(cls):
            value = getattr(args, f.name, None)
            if value is not None:
                setattr(out, f.name, type(getattr(out, f.name))(value))
        return out


def plain_text(content: Any) -> str:
    """A chatbot message's content as text (gradio 6 gives a list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "")
    if isinstance(content, list):
        return "".join(plain_text(part) for part in content)
    return "" if content is None else str(content)


def as_messages(history: list[dict], system: str | None) -> list[dict[str, str]]:
    """The OpenAI messages of a chatbot history (user/assistant turns, the system prompt first)."""
    messages = [{"role": "system", "content": system}] if system and system.strip() else []
    messages += [{"role": m["role"], "content": plain_text(m.get("content"))} for m in history]
    return messages


def stream_reply(
    target: ChatTarget,
    messages: list[dict[str, str]],
    name: str | None,
    *,
    temperature: float,
    top_p: float,
    top_k: int,
    max_new_tokens: int,
    repetition_penalty: float,
    stream: bool = True,
) -> Iterator[str]:
    """Yield the growing answer to ``messages`` from the served model or adapter ``name`` (once without ``stream``)."""
    config = RequestConfig(
        stream=stream,
        max_tokens=int(max_new_tokens),
        temperature=float(temperature),
        top_p=float(top_p),
        top_k=int(top_k) if top_k and int(top_k) > 0 else None,
        repetition_penalty=float(repetition_penalty) if repetition_penalty != 1.0 else None,
    )
    adapter = name if name and name != target.names[0] else None
    [result] = target.engine.infer([InferRequest(messages=messages)], config, adapter=adapter)
    if not stream:
        yield result.choices[0].message.content or ""
        return
    text = ""
    for chunk in result:
        for choice in chunk.choices:
            text += choice.delta.content or ""
        yield text


def build_chat_panel(
    gr: Any, texts: Texts, get_target: Callable[[], ChatTarget | None], defaults: GenerationDefaults, names: list[str]
) -> dict[str, Any]:
    """Lay out the chat panel in the current gradio context and wire its events.

    Args:
        gr: The gradio module.
        texts: Labels of the interface language.
        get_target: Returns the server to talk to (None: nothing loaded yet).
        defaults: Starting values of the generation settings.
        names: Initial choices of the model/adapter dropdown.

    Returns:
        The components by name (``chatbot``, ``message``, ``model`` …), for callers that add events.
    """
    with gr.Row():
        with gr.Column(scale=4):
            chatbot = gr.Chatbot(label=texts["chat"], elem_id="chatbot", height=420)
            message = gr.Textbox(label=texts["message"], placeholder=texts["message_hint"], elem_id="message", lines=1)
            with gr.Row():
                send = gr.Button(texts["send"], variant="primary", elem_id="send")
                regenerate = gr.Button(texts["regenerate"], elem_id="regenerate")
                clear = gr.Button(texts["clear"], elem_id="clear")
        with gr.Column(scale=2):
            model = gr.Dropdown(
                choices=names, value=names[0] if names else None, label=texts["model_choice"], elem_id="model_choice"
            )
            system = gr.Textbox(label=texts["system"], lines=3, elem_id="system")
            with gr.Accordion(texts["settings"], open=True):
                temperature = gr.Slider(0.0, 2.0, defaults.temperature, step=0.05, label=texts["temperature"])
                top_p = gr.Slider(0.0, 1.0, defaults.top_p, step=0.01, label=texts["top_p"])
                top_k = gr.Slider(0, 200, defaults.top_k, step=1, label=texts["top_k"])
                max_new_tokens = gr.Slider(
                    1, max(4096, defaults.max_new_tokens), defaults.max_new_tokens, step=1,
                    label=texts["max_new_tokens"], elem_id="max_new_tokens",
                )  # fmt: skip
                repetition_penalty = gr.Slider(
                    1.0, 2.0, defaults.repetition_penalty, step=0.01, label=texts["repetition_penalty"]
                )
    settings = [system, model, temperature, top_p, top_k, max_new_tokens, repetition_penalty]

    def answer(history, system_text, name, temp, p, k, max_tokens, penalty):
        target = get_target()
        if target is None:
            raise gr.Error(texts["no_model"])
        history = list(history or [])
        try:
            for text in stream_reply(
                target,
                as_messages(history, system_text),
                name,
                temperature=temp,
                top_p=p,
                top_k=k,
                max_new_tokens=max_tokens,
                repetition_penalty=penalty,
                stream=defaults.stream,
            ):
                yield [*history, {"role": "assistant", "content": text}]
        except SwiftError as exc:  # refused request, server gone: a readable message, the history kept
            raise gr.Error(f"{texts['chat_error']}: {exc}") from None

    def add_user(history, text):
        if not text or not text.strip():
            raise gr.Error(texts["message_hint"])
        return [*(history or []), {"role": "user", "content": text}], ""

    def drop_last_answer(history):
        history = list(history or [])
        while history and history[-1]["role"] == "assistant":
            history.pop()
        return history

    for trigger in (send.click, message.submit):
        trigger(add_user, [chatbot, message], [chatbot, message]).success(answer, [chatbot, *settings], chatbot)
    regenerate.click(drop_last_answer, chatbot, chatbot).success(answer, [chatbot, *settings], chatbot)
    clear.click(lambda: [], None, chatbot)
    return {"chatbot": chatbot, "message": message, "model": model, "system": system}
