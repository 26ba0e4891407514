"""Typed request bodies of the server: what each field may hold, checked by pydantic.

The models are the single description of a valid request: :mod:`swift_serve.bodies`
validates every body with them (a wrong type, range or unknown field is a 400
naming the field), and ``/openapi.json`` publishes their JSON schema as the
routes' request bodies, so schema-driven clients and fuzzers can use it.

Static bounds live here (``seed`` fits 64 bits, penalties in [-2, 2] …); the
bounds an operator sets (``--max_n``, ``--max_prompts`` …) and those of the
model (context length, vocabulary) are checked after validation.

OpenAI fields the server does not implement are refused unless they ask for the
default: ``response_format`` other than text, ``suffix``, ``best_of`` ≠ ``n``,
``echo`` with ``stream``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

# The seed of torch's and vLLM's generators is a 64-bit integer.
SEED_MAX = 2**63 - 1
# Large enough for any real answer and far inside every integer type engines use.
MAX_TOKENS_MAX = 2**31 - 1

# float under strict=True still takes JSON integers, and refuses strings and booleans
Number = float
TokenId = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]
Penalty = Annotated[Number, Field(ge=-2, le=2)]


class _Strict(BaseModel):
    # extra="forbid": a misspelt field is an error, never silently ignored
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


class TextPart(_Strict):
    """A text content part: ``{"type": "text", "text": "..."}``."""

    type: Literal["text"]
    text: StrictStr


class ImageUrl(_Strict):
    """``{"url": ..., "detail": ...}`` of an image part; ``detail`` is accepted and not used."""

    url: StrictStr = Field(min_length=1)
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(_Strict):
    """An image content part: ``{"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}``."""

    type: Literal["image_url"]
    image_url: ImageUrl


class VideoUrl(_Strict):
    """``{"url": ...}`` of a video part."""

    url: StrictStr = Field(min_length=1)


class VideoPart(_Strict):
    """A video content part: ``{"type": "video_url", "video_url": {"url": "data:video/mp4;base64,..."}}``.

    Read by the models whose videos swift reads (Qwen2-VL, Qwen2.5-VL); others answer 400.
    """

    type: Literal["video_url"]
    video_url: VideoUrl


class InputAudio(_Strict):
    """``{"data": base64, "format": "wav"}`` of an audio part (OpenAI's ``input_audio``)."""

    data: StrictStr = Field(min_length=1)
    format: Literal["wav", "mp3", "flac", "ogg", "m4a", "webm"] = "wav"


class AudioPart(_Strict):
    """An audio content part: ``{"type": "input_audio", "input_audio": {"data": "...", "format": "wav"}}``.

    Read by the models whose audio swift reads (Qwen2-Audio); others answer 400.
    """

    type: Literal["input_audio"]
    input_audio: InputAudio


ContentPart = Annotated[TextPart | ImagePart | VideoPart | AudioPart, Field(discriminator="type")]


class Message(_Strict):
    """One message of a conversation.

    The response fields an OpenAI client may send back with an assistant
    message it received (``refusal``, ``annotations``, ``audio``,
    ``function_call``, ``reasoning_content``) are accepted and not used.
    """

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: StrictStr | list[ContentPart] | None = None
    name: StrictStr | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: StrictStr | None = None
    refusal: StrictStr | None = None
    annotations: list[Any] | None = None
    audio: Any = None
    function_call: Any = None
    reasoning_content: StrictStr | None = None


class StreamOptions(_Strict):
    """``stream_options``: end a stream with a usage chunk."""

    include_usage: StrictBool = False


class ResponseFormat(BaseModel):
    """``response_format``; only ``{"type": "text"}`` (the default) is served."""

    model_config = ConfigDict(extra="allow", strict=True)
    type: Literal["text"]


class _Sampling(_Strict):
    """Fields chat and completions share."""

    model: StrictStr | None = Field(None, max_length=1024, description="A name from GET /v1/models.")
    max_tokens: Annotated[StrictInt, Field(ge=1, le=MAX_TOKENS_MAX)] | None = None
    temperature: Annotated[Number, Field(ge=0, le=100)] | None = None
    top_p: Annotated[Number, Field(gt=0, le=1)] | None = None
    top_k: Annotated[StrictInt, Field(ge=-1, le=MAX_TOKENS_MAX)] | None = Field(None, description="-1 or 0 = off.")
    repetition_penalty: Annotated[Number, Field(gt=0, le=100)] | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    logit_bias: dict[Annotated[str, Field(pattern=r"^\d{1,10}$")], Annotated[Number, Field(ge=-100, le=100)]] | None = (
        Field(None, description="{token id: bias in [-100, 100]}")
    )
    n: Annotated[StrictInt, Field(ge=1, le=MAX_TOKENS_MAX)] | None = None
    stop: StrictStr | list[StrictStr] | None = None
    stream: StrictBool | None = False
    stream_options: StreamOptions | None = None
    seed: Annotated[StrictInt, Field(ge=-SEED_MAX, le=SEED_MAX)] | None = None
    user: StrictStr | None = Field(None, max_length=1024)
    return_token_ids: StrictBool | None = Field(
        False, description="vLLM's extension: prompt_token_ids and each choice's sampled token_ids."
    )
    ignore_eos: StrictBool | None = Field(
        False, description="vLLM's extension: end only at stop strings and max_tokens, never at EOS/end-of-turn."
    )
    skip_special_tokens: StrictBool | None = Field(
        None,
        description="vLLM's extension: leave special tokens out of the text; default true, "
        "false for a chat request offered tools (tool formats whose markers are special tokens).",
    )


class FunctionName(_Strict):
    """``{"name": ...}`` of a named tool choice."""

    name: StrictStr


class NamedToolChoice(_Strict):
    """``tool_choice`` naming the function the answer must call."""

    type: Literal["function"]
    function: FunctionName


class ChatCompletionRequest(_Sampling):
    """``POST /v1/chat/completions``."""

    messages: list[Message] = Field(min_length=1)
    max_completion_tokens: Annotated[StrictInt, Field(ge=1, le=MAX_TOKENS_MAX)] | None = None
    logprobs: StrictBool | None = False
    top_logprobs: Annotated[StrictInt, Field(ge=0, le=MAX_TOKENS_MAX)] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Literal["auto", "none", "required"] | NamedToolChoice | None = Field(
        None,
        description='auto (default with tools), none, required, or {"type": "function", "function": {"name": ...}}.',
    )
    parallel_tool_calls: StrictBool | None = None
    response_format: ResponseFormat | None = None


class CompletionRequest(_Sampling):
    """``POST /v1/completions``; prompts are continued as written (no chat template)."""

    prompt: StrictStr | list[StrictStr] | list[TokenId] | list[Annotated[list[TokenId], Field(min_length=1)]] = Field(
        description="A string, a list of strings, a list of token ids, or a list of token-id lists."
    )
    max_tokens: Annotated[StrictInt, Field(ge=0, le=MAX_TOKENS_MAX)] | None = Field(
        None, description="0 only with echo (score the prompt without generating); default 16."
    )
    logprobs: Annotated[StrictInt, Field(ge=0, le=MAX_TOKENS_MAX)] | None = Field(
        None, description="Number of alternatives per token (the legacy API's meaning)."
    )
    echo: StrictBool | None = Field(
        None, description="Put the prompt before the answer; with logprobs, the prompt tokens' logprobs too."
    )
    suffix: None = None
    best_of: Annotated[StrictInt, Field(ge=1, le=MAX_TOKENS_MAX)] | None = Field(None, description="Only best_of == n.")


class RolloutRequestConfig(_Strict):
    """``request_config`` of ``POST /infer``: :class:`swift.protocol.RequestConfig` as JSON (every field of it)."""

    max_tokens: Annotated[StrictInt, Field(ge=0, le=MAX_TOKENS_MAX)] | None = None
    temperature: Annotated[Number, Field(ge=0, le=100)] | None = None
    top_k: Annotated[StrictInt, Field(ge=0, le=MAX_TOKENS_MAX)] | None = None
    top_p: Annotated[Number, Field(gt=0, le=1)] | None = None
    repetition_penalty: Annotated[Number, Field(gt=0, le=100)] | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    logit_bias: dict[Annotated[str, Field(pattern=r"^\d{1,10}$")], Annotated[Number, Field(ge=-100, le=100)]] | None = (
        None
    )
    num_beams: Annotated[StrictInt, Field(ge=1, le=64)] = 1
    stop: list[StrictStr] = Field(default_factory=list)
    stream: StrictBool = False
    seed: Annotated[StrictInt, Field(ge=-SEED_MAX, le=SEED_MAX)] | None = None
    n: Annotated[StrictInt, Field(ge=1, le=MAX_TOKENS_MAX)] = 1
    logprobs: StrictBool = False
    top_logprobs: Annotated[StrictInt, Field(ge=0, le=MAX_TOKENS_MAX)] | None = None
    echo: StrictBool = False
    return_token_ids: StrictBool = False
    ignore_eos: StrictBool = False
    skip_special_tokens: StrictBool = True


class RolloutRequest(_Strict):
    """One conversation of ``POST /infer``: :class:`swift.protocol.InferRequest` as JSON."""

    messages: list[Message] = Field(default_factory=list)
    tools: list[dict[str, Any]] | None = None
    system: StrictStr | None = None
    prompt: StrictStr | None = None
    prompt_ids: list[TokenId] | None = None
    response_prefix: StrictStr | None = Field(None, max_length=4096)
    # media of vision-language rollouts, as data: URLs (paths and URLs only with --allow_remote_media)
    images: list[StrictStr] = Field(default_factory=list)
    videos: list[StrictStr] = Field(default_factory=list)
    audios: list[StrictStr] = Field(default_factory=list)


class RolloutInferRequest(_Strict):
    """``POST /infer`` of ``swift rollout``: one GRPO round."""

    requests: list[RolloutRequest]
    request_config: RolloutRequestConfig | None = None
    adapter: StrictStr | None = None


class WeightPathRequest(_Strict):
    """The JSON form of ``POST /update_weights``: a folder under one of ``--weight_dirs``."""

    path: StrictStr = Field(min_length=1, max_length=4096)
    kind: Literal["full", "lora"] = "full"
