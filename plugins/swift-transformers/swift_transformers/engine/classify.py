"""How the ``pt`` engine answers with a sequence classifier (``--task_type seq_cls``).

A classifier generates nothing: each request is one forward pass. The answer is a normal chat
completion whose ``message.content`` is the predicted label (``config.id2label``'s name when the
checkpoint names its labels, else the index; for multi-label the names of every label above 0.5,
comma-separated; for regression the value) and whose ``probs`` holds one value per label — so
any OpenAI client reads the label and a swift client the probabilities. The prompt is encoded
exactly as in training (:func:`swift_transformers.data.classification.classification_ids`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from swift.protocol import (
    ChatCompletionResponse,
    ChatCompletionResponseChoice,
    ChatCompletionResponseStreamChoice,
    ChatCompletionStreamResponse,
    ChatMessage,
    DeltaMessage,
    InferRequest,
    InvalidRequestError,
    RequestConfig,
    UsageInfo,
    random_id,
)
from swift_transformers.data.classification import classification_ids
from swift_transformers.models.tasks import ClassificationTask
from swift_transformers.train.classification import probabilities

_DEFAULT_LABEL = re.compile(r"LABEL_\d+")


class Classifier:
    """Batched forward passes of a classification model for the ``pt`` engine.

    Args:
        adapters: The engine's :class:`~swift_transformers.engine.adapters.AdapterSet`.
        template: The template (prompts are encoded as in training).
        tokenizer: Its tokenizer.
        task: The model's classification task.
        pad_id: Padding id (the head reads the last token that is not padding).
        model_name: Name answers carry.
        max_model_len: Longest prompt the model takes, or None.
        max_batch_size: Most requests per forward pass.
    """

    def __init__(
        self,
        adapters: Any,
        template: Any,
        tokenizer: Any,
        task: ClassificationTask,
        *,
        pad_id: int,
        model_name: str,
        max_model_len: int | None,
        max_batch_size: int,
    ):
        self.adapters, self.template, self.tokenizer, self.task = adapters, template, tokenizer, task
        self.pad_id, self.model_name = pad_id, model_name
        self.max_model_len, self.max_batch_size = max_model_len, max(1, max_batch_size)
        self.lock = threading.Lock()  # one forward (and one tokenizer call) at a time
        id2label = getattr(adapters.model.config, "id2label", None) or {}
        names = [str(id2label.get(i, id2label.get(str(i), i))) for i in range(task.num_labels)]
        # transformers' placeholders (LABEL_0 …) say nothing: answer the index instead
        self.names = [str(i) if _DEFAULT_LABEL.fullmatch(n) else n for i, n in enumerate(names)]

    def encode(self, request: InferRequest) -> list[int]:
        """Prompt ids of ``request``, as the classifier was trained to read them."""
        from swift.template import MaxLengthError, TemplateError

        if request.prompt_ids is not None:
            ids = [int(i) for i in request.prompt_ids]
        elif request.prompt is not None:
            with self.lock:
                ids = list(self.tokenizer.encode(request.prompt, add_special_tokens=False))
        else:
            system, messages = request.split_system()
            try:
                with self.lock:
                    ids = classification_ids(self.template, messages, system, request.tools)
            except (TemplateError, MaxLengthError) as exc:
                raise InvalidRequestError(f"cannot encode the request: {exc}") from exc
        if not ids:
            raise InvalidRequestError("the prompt is empty: nothing to classify")
        if self.max_model_len is not None and len(ids) > self.max_model_len:
            raise InvalidRequestError(
                f"the prompt has {len(ids)} tokens but the model takes at most {self.max_model_len}; "
                "shorten the conversation"
            )
        return ids

    def answer(
        self, requests: Sequence[InferRequest], config: RequestConfig, adapter: str | None
    ) -> list[ChatCompletionResponse]:
        """One response per request (``n`` is refused: a classifier's answer is deterministic)."""
        if (config.n or 1) != 1:
            raise InvalidRequestError("n > 1: a classifier has one answer per request")
        self.adapters.check(adapter)
        prompts = [self.encode(r) for r in requests]
        values: list[list[float]] = []
        for start in range(0, len(prompts), self.max_batch_size):
            values += self._forward(prompts[start : start + self.max_batch_size], adapter)
        return [self._response(ids, row) for ids, row in zip(prompts, values)]

    def stream(self, response: ChatCompletionResponse) -> Iterator[ChatCompletionStreamResponse]:
        """A finished answer as one content chunk and a final chunk with usage."""
        choice = response.choices[0]
        common = {"id": response.id, "model": response.model, "created": response.created}
        yield ChatCompletionStreamResponse(
            choices=[
                ChatCompletionResponseStreamChoice(0, DeltaMessage(content=choice.message.content), probs=choice.probs)
            ],
            **common,
        )
        yield ChatCompletionStreamResponse(
            choices=[ChatCompletionResponseStreamChoice(0, DeltaMessage(role=None, content=""), "stop")],
            usage=response.usage,
            **common,
        )

    def _forward(self, prompts: list[list[int]], adapter: str | None) -> list[list[float]]:
        model = self.adapters.model
        device = next(model.parameters()).device
        width = max(len(p) for p in prompts)
        input_ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
        attention_mask = torch.zeros_like(input_ids)
        for i, ids in enumerate(prompts):
            input_ids[i, : len(ids)] = torch.as_tensor(ids)
            attention_mask[i, : len(ids)] = 1
        with self.lock, torch.no_grad(), self.adapters.activate(adapter):
            logits = model(input_ids=input_ids.to(device), attention_mask=attention_mask.to(device)).logits
        return probabilities(logits, self.task.problem_type).cpu().tolist()

    def label_text(self, values: list[float]) -> str:
        """The answer's text for one row of :func:`probabilities`."""
        kind = self.task.problem_type
        if kind == "single_label_classification":
            return self.names[max(range(len(values)), key=values.__getitem__)]
        if kind == "multi_label_classification":
            return ",".join(name for name, p in zip(self.names, values) if p > 0.5)
        return ",".join(f"{v:.6g}" for v in values)

    def _response(self, prompt_ids: list[int], values: list[float]) -> ChatCompletionResponse:
        choice = ChatCompletionResponseChoice(
            index=0, message=ChatMessage(content=self.label_text(values)), finish_reason="stop", probs=values
        )
        return ChatCompletionResponse(
            model=self.model_name,
            choices=[choice],
            usage=UsageInfo(len(prompt_ids), 0, len(prompt_ids)),
            id=random_id("chatcmpl"),
        )
