"""Preference rows → token ids, encoded by swift's template (the text ``swift sft`` trains on).

Pairwise methods (dpo, orpo, simpo, cpo) read ``messages`` (ending with the chosen
answer) plus ``rejected_response``; KTO reads ``messages`` plus a boolean ``label``
(or pairwise rows, which become one desirable and one undesirable row). Each row
becomes ``prompt_ids`` and ``chosen_ids``/``rejected_ids`` (or ``completion_ids``
and ``label``): the prompt is everything before the final assistant turn, the
completion that turn's trained tokens, exactly as :meth:`Template.encode` labels them.

Rows the template rejects, rows without what the method needs, and rows too long
for ``--truncation_strategy delete`` are dropped and counted (raised with ``--strict``),
as the datasets plugin does for ``swift sft``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from swift_transformers.api import MEDIA_TENSOR_KEYS, TOKEN_TYPE_KEYS, DropReport, rejection_reason

from swift.kernel import UsageError
from swift.template import IGNORE_INDEX, MaxLengthError, TemplateError, get_template
from swift.template.media import row_media

PAIRWISE_COLUMNS = ("prompt_ids", "chosen_ids", "rejected_ids")
UNPAIRED_COLUMNS = ("prompt_ids", "completion_ids", "label")
#: Where a lazily encoded row keeps its media (``images`` … → ``lazy_images`` …): trl takes a dataset
#: with an ``images`` column for its own vision path, which these rows do not take
LAZY_MEDIA_COLUMNS = {"images": "lazy_images", "videos": "lazy_videos", "audios": "lazy_audios"}
_TRUE_LABELS = {"true", "1", "yes", "good", "desirable", "chosen"}
_FALSE_LABELS = {"false", "0", "no", "bad", "undesirable", "rejected"}


def completion_template(template: Any, args: Any) -> Any:
    """The run's template, but training only the final answer and never truncating.

    Earlier assistant turns are context here, and truncation must treat the prompt
    and the completion separately (see :func:`fit_length`).
    """
    overrides = {"loss_scale": "last_round", "max_length": None, "truncation_strategy": "right"}
    if callable(getattr(template, "with_options", None)):  # a vision template: it keeps its image inputs
        return template.with_options(**overrides)
    return get_template(
        template.meta,
        template.tokenizer,
        args,
        loss_scale="last_round",
        max_length=None,
        truncation_strategy="right",
    )


def split_final_turn(template: Any, messages: list[dict[str, Any]], row: Mapping) -> tuple:
    """``(prompt_ids, completion_ids)`` of a conversation ending with an assistant turn.

    Raises:
        TemplateError: When the row does not encode or has no trained final turn.
    """
    prompt, completion, _ = split_final_turn_media(template, messages, row)
    return prompt, completion


def split_final_turn_media(template: Any, messages: list[dict[str, Any]], row: Mapping) -> tuple:
    """``(prompt_ids, completion_ids, media)``: ``media`` holds a vision template's image inputs.

    Images are always in the prompt: ``media`` has the image tensors and the prompt's per-token
    modality (``mm_token_type_ids`` / ``token_type_ids``); empty for text.
    """
    clean = [{k: v for k, v in m.items() if k != "loss"} for m in messages]
    encoded = template.encode({**_context(row), "messages": clean})
    trained = [i for i, label in enumerate(encoded["labels"]) if label != IGNORE_INDEX]
    if not trained:
        raise TemplateError("the final assistant turn has no tokens to train on")
    ids = encoded["input_ids"]
    media = {k: v for k, v in encoded.items() if k not in ("input_ids", "labels", "loss_scale")}
    for key in TOKEN_TYPE_KEYS:
        if key in media:
            media[key] = list(media[key][: trained[0]])
    # tokens the template adds after the answer without training them (a newline) stay out
    return list(ids[: trained[0]]), list(ids[trained[0] : trained[-1] + 1]), media


def _context(row: Mapping) -> dict[str, Any]:
    keys = ("system", "tools", "images", "videos", "audios")
    return {k: row[k] for k in keys if row.get(k) is not None}


def _final_answer(row: Mapping) -> list[dict[str, Any]]:
    messages = row.get("messages") or []
    if not messages or messages[-1].get("role") != "assistant":
        raise TemplateError("the conversation must end with the chosen assistant answer")
    return list(messages)


def fit_length(
    prompt: list[int], completions: list[list[int]], max_length: int | None, strategy: str
) -> tuple[list[int], list[list[int]]]:
    """Make ``prompt + completion`` fit ``max_length`` for every completion.

    ``left`` drops the oldest prompt tokens (the answers are what is compared);
    ``right`` cuts the end of the completions; ``delete`` raises.

    Raises:
        MaxLengthError: With ``delete``, or when the completions alone do not fit
            under ``left``.
    """
    longest = max(len(c) for c in completions)
    if max_length is None or len(prompt) + longest <= max_length:
        return prompt, completions
    if strategy == "delete":
        raise MaxLengthError(len(prompt) + longest, max_length)
    if strategy == "left":
        room = max_length - longest
        if room < 1:
            raise MaxLengthError(len(prompt) + longest, max_length)
        return prompt[-room:], completions
    room = max_length - len(prompt)
    if room < 1:
        raise MaxLengthError(len(prompt) + longest, max_length)
    return prompt, [c[:room] for c in completions]


def encode_pair(template: Any, row: Mapping, max_length: int | None, strategy: str) -> dict:
    """``{"prompt_ids", "chosen_ids", "rejected_ids"}`` of a pairwise row."""
    messages = _final_answer(row)
    rejected = row.get("rejected_response")
    if not isinstance(rejected, str) or not rejected.strip():
        raise TemplateError("no 'rejected_response' (pairwise methods need the rejected answer)")
    prompt, chosen, media = split_final_turn_media(template, messages, row)
    rejected_messages = [*messages[:-1], {"role": "assistant", "content": rejected}]
    rejected_prompt, rejected_ids = split_final_turn(template, rejected_messages, row)
    if rejected_prompt != prompt:  # a template whose prompt depends on the answer
        raise TemplateError("the prompt encodes differently before the chosen and rejected answers")
    full = len(prompt)
    prompt, (chosen, rejected_ids) = fit_length(prompt, [chosen, rejected_ids], max_length, strategy)
    media = _fit_media(media, full, len(prompt), max(len(chosen), len(rejected_ids)), max_length)
    return {"prompt_ids": prompt, "chosen_ids": chosen, "rejected_ids": rejected_ids, **media}


def _fit_media(media: dict, full: int, kept: int, longest: int, max_length: int | None) -> dict:
    """The prompt's per-token modality after left truncation kept its last ``kept`` of ``full`` tokens."""
    for key in TOKEN_TYPE_KEYS:
        if key in media:
            if any(media[key][: full - kept]):  # left truncation would cut an image from its tokens
                raise MaxLengthError(full + longest, max_length)
            media[key] = media[key][full - kept :]
    return media


def parse_label(value: Any) -> bool:
    """KTO's ``label``: a bool, 0/1, or words like ``true``/``false``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE_LABELS | _FALSE_LABELS:
        return value.strip().lower() in _TRUE_LABELS
    raise TemplateError(f"'label' must be true or false, got {value!r}")


def encode_unpaired(template: Any, row: Mapping, max_length: int | None, strategy: str) -> list:
    """KTO rows of one input row: ``[{"prompt_ids", "completion_ids", "label"}, ...]``.

    A row with ``label`` gives one; a pairwise row (``rejected_response``, no
    ``label``) gives a desirable and an undesirable one.
    """
    if row.get("label") is None and row.get("rejected_response") is not None:
        pair = encode_pair(template, row, max_length, strategy)
        prompt = pair["prompt_ids"]
        media = {k: v for k, v in pair.items() if k not in PAIRWISE_COLUMNS}  # a vision row's image inputs
        return [
            {"prompt_ids": prompt, "completion_ids": pair["chosen_ids"], "label": True, **media},
            {"prompt_ids": prompt, "completion_ids": pair["rejected_ids"], "label": False, **media},
        ]
    if row.get("label") is None:
        raise TemplateError("no 'label' (KTO needs label true/false, or a 'rejected_response')")
    label = parse_label(row["label"])
    prompt, completion, media = split_final_turn_media(template, _final_answer(row), row)
    full = len(prompt)
    prompt, (completion,) = fit_length(prompt, [completion], max_length, strategy)
    media = _fit_media(media, full, len(prompt), len(completion), max_length)
    return [{"prompt_ids": prompt, "completion_ids": completion, "label": label, **media}]


def _media_by_name(encoded: dict[str, Any], row: Mapping) -> dict[str, Any]:
    """An encoded row with its media tensors replaced by the row's media (paths, URLs, bytes …)."""
    if not any(key in encoded for key in MEDIA_TENSOR_KEYS):
        return encoded
    kept = {k: v for k, v in encoded.items() if k not in MEDIA_TENSOR_KEYS}
    media = row_media(row)
    return {**kept, **{LAZY_MEDIA_COLUMNS[column]: list(values) for column, values in media.items() if values}}


def _plain(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else value


def encode_preference_dataset(
    dataset: Any, template: Any, args: Any, *, unpaired: bool, name: str = "the dataset"
) -> Any:
    """Encode standardized rows for a preference trainer.

    Args:
        dataset: Rows from ``load_datasets`` (``messages`` + extra columns).
        template: The run's template (its meta and tokenizer are used).
        args: ``RLHFArguments`` (``max_length``, ``truncation_strategy``, ``strict``).
        unpaired: KTO rows (``completion_ids`` + ``label``) instead of pairs.
        name: How messages call the data.

    Returns:
        A ``datasets.Dataset`` with :data:`PAIRWISE_COLUMNS` or :data:`UNPAIRED_COLUMNS`.

    Raises:
        UsageError: For a streamed dataset, with ``--strict`` on the first bad row,
            and when no row is usable.
    """
    from datasets import Dataset, Features, List, Value

    if not hasattr(dataset, "__len__"):
        raise UsageError("preference training needs the whole dataset up front; drop --streaming")
    encoder = completion_template(template, args)
    max_length, strategy = args.max_length, args.truncation_strategy
    report = DropReport(name, strict=bool(getattr(args, "strict", False)), stage="encoding", total=len(dataset))
    # --lazy_tokenize (the default for vision models): a row keeps its ids and names its media;
    # the collator decodes them in the data loader, so no pixel tensor is held for the whole set
    lazy = bool(getattr(args, "lazy_tokenize", False))
    rows: list[dict[str, Any]] = []
    for i, row in enumerate(dataset):
        try:
            encoded = (
                encode_unpaired(encoder, row, max_length, strategy)
                if unpaired
                else [encode_pair(encoder, row, max_length, strategy)]
            )
        except (TemplateError, MaxLengthError) as exc:
            report.bad(i + 1, rejection_reason(exc, row))
            continue
        rows += [_media_by_name(one, row) for one in encoded] if lazy else encoded
    report.log()
    report.check_not_empty()
    base = set(UNPAIRED_COLUMNS if unpaired else PAIRWISE_COLUMNS)
    if any(set(row) - base for row in rows):
        # media rows: trl takes a datasets.Dataset, so each medium's tensors are stored as lists
        return Dataset.from_list([{k: _plain(v) for k, v in row.items()} for row in rows])
    ids = List(Value("int64"))
    if unpaired:
        features = Features({"prompt_ids": ids, "completion_ids": ids, "label": Value("bool")})
    else:
        features = Features({column: ids for column in PAIRWISE_COLUMNS})
    return Dataset.from_list(rows, features=features)
