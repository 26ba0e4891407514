"""The call shapes of the function-valued families (models, datasets, losses, rewards …)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from swift.kernel.records import ModelRecord


@runtime_checkable
class ModelLoader(Protocol):
    """``ModelRecord.load``: load the checkpoint in ``model_dir`` as ``record`` describes.

    Returns ``(model, tokenizer)``. Raise ``UsageError`` for anything a user can fix.
    """

    def __call__(self, model_dir: str, args: Any, record: ModelRecord) -> tuple[Any, Any]:
        """Load the checkpoint in ``model_dir`` and return ``(model, tokenizer)``."""


@dataclass(frozen=True)
class InvalidRow:
    """What a :class:`DatasetReader` yields for a record it could not parse.

    Counted and reported like any bad row (or raised with ``--strict``).

    Attributes:
        reason: What was wrong, e.g. ``invalid JSON (Expecting ',' delimiter)``.
    """

    reason: str


@runtime_checkable
class DatasetReader(Protocol):
    """``DatasetRecord.load``.

    Rows of a named dataset (``kind="dataset"``, called with the ``--dataset`` spec) or of a file
    (``kind="format"``, called with its path).

    Returns a ``datasets.Dataset`` or an iterable of row dicts; a reader may yield
    ``InvalidRow(reason)`` so one malformed line costs that row only.
    """

    def __call__(self, spec_or_path: str, args: Any) -> Any:
        """Rows of the dataset ``spec_or_path`` names (a ``datasets.Dataset`` or an iterable of dicts)."""


@runtime_checkable
class LossFunction(Protocol):
    """``LossRecord.load`` (``kind="loss"``): the training loss of a batch.

    Called as transformers calls ``compute_loss_func``: ``outputs`` of the model,
    shifted-or-not ``labels`` (-100 = not trained) and the number of trained tokens in
    the whole (accumulated) batch.
    """

    def __call__(self, outputs: Any, labels: Any, num_items_in_batch: Any = None, **kwargs: Any) -> Any:
        """The loss of one batch, averaged over ``num_items_in_batch`` trained tokens when given."""


@runtime_checkable
class RewardFunction(Protocol):
    """``RewardRecord.load`` (``kind="function"``): TRL's reward convention.

    One float (or ``None`` to skip) per completion; every dataset column arrives as a
    keyword list. ``async def`` is allowed; a class is built once as ``cls(args)`` and
    its instance is called the same way.
    """

    def __call__(self, completions: list[Any], **columns: Any) -> list[float | None]:
        """One reward per completion (``None`` skips it); dataset columns arrive as keyword lists."""


@runtime_checkable
class Scheduler(Protocol):
    """``SchedulerRecord.load``: a multi-turn scheduler class (``swift.scheduler.MultiTurnScheduler``).

    ``check_finished`` says whether a trajectory stops after a turn; ``step`` returns
    the request of the next turn (tool results, feedback …). An optional class attribute
    ``keeps_special_tokens = True`` asks for answers with special tokens kept (tool formats
    whose markers are special tokens).
    """

    def check_finished(self, request: Any, choice: Any, turn: int) -> bool:
        """Whether the trajectory stops after ``turn``."""

    def step(self, request: Any, choice: Any, turn: int) -> Any:
        """The request of the next turn (the conversation with tool results, feedback …)."""


@runtime_checkable
class TemplateMetaLike(Protocol):
    """``TemplateRecord.load``: a template layout (``swift.template.TemplateMeta``)."""

    name: str


@runtime_checkable
class TemplateFactory(Protocol):
    """``TemplateRecord.load`` of a template that needs more than a layout: ``factory(tokenizer, **options)``.

    Vision-language templates are factories: they read the checkpoint's image processor next to
    the tokenizer and take ``max_pixels`` among the options (:func:`swift.template.template_options`).
    The :class:`Encoder` returned may answer ``encode``/``encode_prompt`` with the model's extra inputs
    (``pixel_values`` …) beside ``input_ids``, and ``encode_prompt`` takes ``images=``, ``videos=``,
    ``audios=`` (:mod:`swift.template.media`).
    """

    def __call__(self, tokenizer: Any, **options: Any) -> Any:
        """The bound template (an :class:`Encoder`)."""


@runtime_checkable
class ToolFunction(Protocol):
    """``ToolRecord.load``: the function a tool call runs, with the call's arguments as keywords.

    Returns a string, or anything ``json.dumps`` writes; raising is allowed (the model reads
    the error as the result).
    """

    def __call__(self, **arguments: Any) -> Any:
        """The tool's result for these arguments."""


@runtime_checkable
class LossScaleLike(Protocol):
    """``LossRecord.load`` (``kind="loss_scale"``): a strategy (``swift.template.loss_scale.LossScale``).

    ``rounds`` says which assistant turns train (``every``, ``last``, ``all``);
    ``split(text, query)`` cuts a trained reply into ``(piece, weight)`` pairs that join to
    the reply; ``binary`` is true when every weight is 0 or 1.
    """

    name: str
    rounds: str

    @property
    def binary(self) -> bool:
        """Whether every weight is 0 or 1."""

    @property
    def has_rules(self) -> bool:
        """Whether replies are split at all."""

    def split(self, text: str, query: str = "") -> list[tuple[str, float]]:
        """``(piece, weight)`` pairs of a trained reply."""


@runtime_checkable
class AgentTemplateLike(Protocol):
    """``AgentTemplateRecord.load``: a tool format (``swift.template.agent.AgentTemplate`` subclass).

    Built with no arguments. ``results`` is ``"tool"`` (results in the chat template's tool
    turn) or ``"assistant"`` (inside the calling assistant turn, untrained); ``stop_words``
    end generation where the model waits for a result; ``parse_calls`` must invert
    ``format_calls`` (``swift deploy`` returns OpenAI ``tool_calls`` from it) and return
    the text whole with no calls when it finds none well formed.
    """

    name: str
    results: str
    stop_words: tuple[str, ...]
    call_separator: str
    call_marker: str
    call_with_content: bool
    calls_open_reply: bool
    tools_in_user: str
    system_header: str
    lists_tools: bool

    def user_prompt(self, content: str, tools: Any) -> str:
        """The user message the tools go with (``tools_in_user`` "first"/"last"), tools written in."""

    def before_user(self, tools: Any) -> str:
        """Text before that user message's turn (Mistral's ``[AVAILABLE_TOOLS]``)."""

    def call_id(self, call: Any, index: int) -> str:
        """The id written for a call (the ``index``-th of its message), for formats that write ids."""

    def call_prefix(self, name: str | None) -> str:
        """The start of a reply that must call a tool (``name``, or any when ``None``)."""

    def tools_prompt(self, system: str | None, tools: Any) -> str:
        """The system prompt with the tool list written into it."""

    def format_calls(self, calls: Any) -> str:
        """The text of an assistant message's tool calls."""

    def format_result(self, content: str, call: Any = None, index: int = 0) -> str:
        """The text of one tool result."""

    def parse_calls(self, text: str) -> tuple[str, list[Any]]:
        """``(content, calls)`` of generated text."""


@runtime_checkable
class TrainerRun(Protocol):
    """``TrainerRecord.load``.

    Train for ``args`` and return a summary (``output_dir``, ``last_checkpoint``, ``best_checkpoint``, metrics).
    """

    def __call__(self, args: Any) -> dict:
        """Train for ``args`` and return the run summary."""


@runtime_checkable
class CommandMain(Protocol):
    """``CommandRecord.load``: run the command for parsed arguments (or raw argv)."""

    def __call__(self, args: Any) -> Any:
        """Run the command."""
