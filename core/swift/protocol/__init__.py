"""The serving protocol every engine speaks: OpenAI-shaped requests and responses.

Pure Python dataclasses with ``to_dict`` / ``from_dict``; importing this package
imports no torch. Engines implement :class:`InferEngine`; ``swift infer``,
``swift deploy`` and GRPO rollouts use nothing else::

    from swift.protocol import InferRequest, RequestConfig
    [resp] = engine.infer([InferRequest(messages=[{"role": "user", "content": "hi"}])],
                          RequestConfig(max_tokens=64, temperature=0))
"""

from swift.protocol.engine import (
    AdapterLoader,
    AdapterUnloader,
    InferEngine,
    InvalidRequestError,
    WeightLoader,
    weight_formats,
)
from swift.protocol.requests import InferRequest, RequestConfig, request_config_from_args
from swift.protocol.responses import (
    ChatCompletionResponse,
    ChatCompletionResponseChoice,
    ChatCompletionResponseStreamChoice,
    ChatCompletionStreamResponse,
    ChatMessage,
    ChoiceLogprobs,
    CompletionLogprobs,
    CompletionResponse,
    CompletionResponseChoice,
    CompletionStreamResponse,
    DeltaMessage,
    TokenLogprob,
    TopLogprob,
    UsageInfo,
    join_stream,
    random_id,
    response_text,
)
from swift.protocol.stops import cut_at_stop, find_stop, stop_holdback

__all__ = [
    "AdapterLoader",
    "AdapterUnloader",
    "ChatCompletionResponse",
    "ChatCompletionResponseChoice",
    "ChatCompletionResponseStreamChoice",
    "ChatCompletionStreamResponse",
    "ChatMessage",
    "ChoiceLogprobs",
    "CompletionLogprobs",
    "CompletionResponse",
    "CompletionResponseChoice",
    "CompletionStreamResponse",
    "DeltaMessage",
    "InferEngine",
    "InferRequest",
    "InvalidRequestError",
    "RequestConfig",
    "TokenLogprob",
    "TopLogprob",
    "UsageInfo",
    "WeightLoader",
    "cut_at_stop",
    "find_stop",
    "join_stream",
    "random_id",
    "request_config_from_args",
    "response_text",
    "stop_holdback",
    "weight_formats",
]
