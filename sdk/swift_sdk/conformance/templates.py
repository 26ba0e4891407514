"""Template conformance: encode trains on assistant turns only, prompts line up with training."""

from __future__ import annotations

from typing import Any

from swift_sdk.conformance.errors import fail
from swift_sdk.conformance.plugin import PluginUnderTest
from swift_sdk.conformance.tiny_cache import tiny_tokenizer

IGNORE = -100
# Distinctive words, so a reply's text can be told from a user's in the trained tokens.
SYSTEM = "Answer with one word."
USER_1 = "Name a colour please"
REPLY_1 = "Blue"
USER_2 = "Now name a fruit"
REPLY_2 = "Apple"


def conversation(with_system: bool = True) -> list[dict[str, str]]:
    """The two-turn conversation the check encodes."""
    messages = [{"role": "system", "content": SYSTEM}] if with_system else []
    return messages + [
        {"role": "user", "content": USER_1},
        {"role": "assistant", "content": REPLY_1},
        {"role": "user", "content": USER_2},
        {"role": "assistant", "content": REPLY_2},
    ]


def _without_thinking_opener(prompt: list[int], thinking: Any, tokenizer: Any) -> list[int]:
    # Reasoning templates (DeepSeek-R1) open a think block for the model in the generation
    # prompt only; training rows without reasoning have none. That tail is by design.
    opener = getattr(thinking, "generation_prefix", "") if thinking is not None else ""
    tail = tokenizer.encode(opener, add_special_tokens=False) if opener else []
    return prompt[: -len(tail)] if tail and prompt[-len(tail) :] == tail else prompt


def check_template(plugin: PluginUnderTest, name: str, tokenizer: Any = None) -> None:
    """Encode a two-turn conversation with the template ``name`` and check the loss mask.

    Checks: ``input_ids`` and ``labels`` have one entry per token and labels copy the ids
    where they are not ``-100``; the trained tokens hold both replies and no user or
    system text; ``encode_prompt`` of the conversation without its last reply (less a
    reasoning template's think-block opener) is a prefix of the training ids and the
    first token after it is trained (generation starts where training taught the model
    to start); the ids decode to ``render()``'s text.

    Args:
        plugin: From :func:`~swift_sdk.conformance.load_plugin`.
        name: The ``--template`` name.
        tokenizer: Default: the SDK's tiny offline tokenizer.

    Raises:
        ConformanceError: Naming the template and what is wrong, with the decoded text.
    """
    from swift.template import TemplateError, get_template

    tokenizer = tokenizer or tiny_tokenizer()

    def problem(text: str) -> Exception:
        return fail(plugin.label, text, family="templates", record=name)

    with plugin.active():
        template = get_template(name, tokenizer)
    meta = getattr(template, "meta", None)
    messages = conversation(with_system=getattr(meta, "supports_system", True))
    try:
        row = template.encode({"messages": messages})
        prompt = template.encode_prompt(messages[:-1])
        prompt = list(prompt["input_ids"] if isinstance(prompt, dict) else prompt)
    except TemplateError as exc:
        raise problem(f"cannot encode a plain two-turn conversation: {exc}") from exc
    prompt = _without_thinking_opener(prompt, getattr(meta, "thinking", None), tokenizer)
    ids, labels = list(row["input_ids"]), list(row["labels"])
    if len(ids) != len(labels):
        raise problem(f"encode() returned {len(ids)} input_ids but {len(labels)} labels")
    for i, (token, label) in enumerate(zip(ids, labels)):
        if label not in (IGNORE, token):
            raise problem(f"labels[{i}] is {label}, neither -100 nor the token id {token}")
    trained = tokenizer.decode([t for t, label in zip(ids, labels) if label != IGNORE])
    if not trained:
        raise problem("encode() trains on no token at all (every label is -100)")
    for text in (SYSTEM, USER_1, USER_2):
        if text in trained:
            raise problem(
                f"encode() trains on {text!r}, which is not assistant text; labels must be -100 "
                f"outside assistant replies. Trained text: {trained!r}"
            )
    for reply in (REPLY_1, REPLY_2):
        if reply not in trained:
            raise problem(f"encode() does not train on the reply {reply!r}. Trained text: {trained!r}")
    if ids[: len(prompt)] != prompt:
        raise problem(
            "encode_prompt(conversation without its last reply) is not a prefix of encode()'s "
            f"input_ids, so generation starts from a prompt the model never saw in training.\n"
            f"  prompt:   {tokenizer.decode(prompt)!r}\n  training: {tokenizer.decode(ids)!r}"
        )
    if len(prompt) >= len(ids) or labels[len(prompt)] == IGNORE:
        raise problem(
            "the token right after the generation prompt is not trained: the model is not taught "
            f"to start its reply where generation starts. Prompt: {tokenizer.decode(prompt)!r}"
        )
    _check_media_prompt(template, messages[:-1], problem)
    render = getattr(template, "render", None)
    if callable(render):
        text = render(messages)
        if tokenizer.decode(ids) != text:
            raise problem(f"input_ids decode to {tokenizer.decode(ids)!r} but render() gives {text!r}")
    stops = getattr(template, "stop_words", ())
    if not stops or not all(isinstance(s, str) and s for s in stops):
        raise problem(f"stop_words must be non-empty strings that end a reply, got {stops!r}")


def _check_media_prompt(template: Any, messages: list[dict[str, str]], problem: Any) -> None:
    """A :class:`swift.contracts.MediaPromptEncoder` gives encode_prompt's ids for a conversation without media."""
    from swift.contracts import MediaPromptEncoder
    from swift.template import TemplateError

    if not isinstance(template, MediaPromptEncoder):
        return
    prompt = template.encode_prompt(messages)
    prompt = list(prompt["input_ids"] if isinstance(prompt, dict) else prompt)
    try:
        given = template.encode_prompt_media(messages)
    except TemplateError as exc:
        raise problem(f"encode_prompt_media cannot encode a conversation without media: {exc}") from exc
    if not isinstance(given, dict) or {"input_ids", "expanded_ids", "media"} - set(given):
        raise problem("encode_prompt_media must return a dict with input_ids, expanded_ids and media")
    if list(given["input_ids"]) != prompt or list(given["expanded_ids"]) != prompt or given["media"]:
        raise problem(
            "encode_prompt_media of a conversation without media must give encode_prompt's ids twice and no media"
        )
