"""What reward functions read: completion text, completion lengths, flag values.

Completions reach a reward function as TRL does it: plain strings (standard
prompts) or chat-format message lists (``[{"role": "assistant", "content": ...}]``,
conversational prompts). Every helper here accepts both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from swift.kernel.errors import UsageError


def _content_text(content: Any) -> str:
    # OpenAI-style content may be a list of parts; only text parts carry an answer.
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, Mapping) else str(p) for p in content)
    return str(content)


def completion_text(completion: Any) -> str:
    """The text of one completion, whatever its shape.

    Args:
        completion: A string, one message dict, or a list of message dicts (the
            last assistant message is the answer; a multi-turn completion may hold
            tool or user messages before it).

    Returns:
        The answer text.
    """
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return _content_text(completion.get("content"))
    if isinstance(completion, Sequence) and completion:
        messages = [m for m in completion if isinstance(m, Mapping)]
        answers = [m for m in messages if m.get("role", "assistant") == "assistant"]
        chosen = answers[-1] if answers else messages[-1] if messages else None
        if chosen is not None:
            return _content_text(chosen.get("content"))
    if isinstance(completion, Sequence) and not completion:
        return ""
    raise TypeError(f"a completion must be a string or a list of chat messages, got {type(completion).__name__}")


def completion_texts(completions: Sequence[Any]) -> list[str]:
    """:func:`completion_text` of every completion."""
    return [completion_text(c) for c in completions]


def _encode_length(tokenizer: Any, text: str) -> int:
    try:
        ids = tokenizer.encode(text, add_special_tokens=False)
    except TypeError:  # tokenizers.Tokenizer and tiktoken take no add_special_tokens
        ids = tokenizer.encode(text)
    return len(getattr(ids, "ids", ids))


def completion_lengths(reward: str, completions: Sequence[Any], columns: Mapping[str, Any]) -> list[int]:
    """Token length of each completion, for rewards that scale with length.

    ``completion_ids`` (token ids per completion, as TRL's GRPO trainer passes
    them) wins; otherwise a ``tokenizer`` keyword (anything with ``encode``)
    counts the tokens of the completion text.

    Raises:
        UsageError: When neither is given, naming ``reward``.
    """
    ids = columns.get("completion_ids")
    if ids is not None:
        if len(ids) != len(completions):
            raise UsageError(
                f"reward {reward!r}: completion_ids has {len(ids)} entries for {len(completions)} completions"
            )
        return [len(x) for x in ids]
    tokenizer = columns.get("tokenizer")
    if tokenizer is not None:
        return [_encode_length(tokenizer, text) for text in completion_texts(completions)]
    raise UsageError(
        f"reward {reward!r} measures completions in tokens: call it with "
        "completion_ids=[[ids...], ...] "
        "(GRPO trainers pass it) or tokenizer=<a tokenizer with encode()>."
    )


def setting(args: Any, name: str, default: Any = None) -> Any:
    """The value of flag ``name`` on ``args``, else its ``swift rlhf`` default.

    Reward classes are built from whatever arguments the command has (RLHF,
    sampling …, or None in Python use); the GRPO dataclass stays the one place
    that holds the documented defaults.
    """
    value = getattr(args, name, None) if args is not None else None
    if value is not None:
        return value
    from swift.arguments.grpo import GRPOArguments  # light: a dataclass module

    value = getattr(GRPOArguments(), name, None)
    return default if value is None else value
