"""Pick the model record for a checkpoint: ``--model_type``, else ``config.json`` and hub ids.

Pure Python (reads JSON), so detection is cheap, runs before any model loads, and is
the same for every plugin that needs it (model loaders, engines, the UI).
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swift.kernel.errors import UsageError
from swift.kernel.records import ModelRecord

#: The model type used when nothing in the registry matches a checkpoint.
GENERIC_MODEL_TYPE = "causal_lm"
#: The model type used instead when that checkpoint has a vision part (``vision_config`` in ``config.json``).
GENERIC_VISION_MODEL_TYPE = "vision_lm"

# huggingface_hub cache folders look like .../models--Qwen--Qwen2.5-7B/snapshots/<sha>.
_CACHE_DIR = re.compile(r"^models--(?P<owner>[^/]+?)--(?P<name>[^/]+)$")


@dataclass(frozen=True)
class CheckpointInfo:
    """What detection knows about a checkpoint.

    Attributes:
        architectures: ``config.json`` ``architectures``.
        model_type: ``config.json`` ``model_type``.
        names: Checkpoint names (hub id without owner, folder names) to match ``model_ids``.
    """

    architectures: tuple[str, ...] = ()
    model_type: str | None = None
    names: tuple[str, ...] = ()
    vision: bool = False


def read_config(model_dir: str | os.PathLike | None) -> dict[str, Any]:
    """The parsed ``config.json`` of ``model_dir``, or ``{}`` when there is none."""
    if not model_dir:
        return {}
    path = Path(model_dir) / "config.json"
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _names_from(ref: str | None) -> list[str]:
    """Candidate checkpoint names in a hub id or a path (``a/b/Qwen2.5-7B`` → ``Qwen2.5-7B``)."""
    if not ref:
        return []
    parts = [p for p in str(ref).replace("\\", "/").split("/") if p]
    names = []
    for part in parts[-3:]:  # the leaf, or models--Owner--Name above snapshots/<sha>
        m = _CACHE_DIR.match(part)
        if m:
            names.append(m.group("name"))
    if parts:
        names.append(parts[-1])
    return names


def checkpoint_info(model: str | None, model_dir: str | os.PathLike | None) -> CheckpointInfo:
    """Collect architectures, model_type and candidate names for ``--model`` / ``model_dir``."""
    config = read_config(model_dir)
    names: list[str] = []
    for ref in (model, config.get("_name_or_path"), os.fspath(model_dir) if model_dir else None):
        for name in _names_from(ref):
            if name not in names:
                names.append(name)
    archs = config.get("architectures") or ()
    return CheckpointInfo(
        architectures=tuple(a for a in archs if isinstance(a, str)),
        model_type=config.get("model_type") if isinstance(config.get("model_type"), str) else None,
        names=tuple(names),
        vision=isinstance(config.get("vision_config"), dict),
    )


def id_match_length(record: ModelRecord, names: tuple[str, ...]) -> int:
    """How specifically one of ``names`` matches the record's ``model_ids`` (0 = not at all).

    The length of the matched pattern (owner removed) measures specificity, so
    ``DeepSeek-R1-Distill-*`` beats ``DeepSeek-R1*`` for ``DeepSeek-R1-Distill-Qwen-7B``.
    """
    best = 0
    lowered = [n.lower() for n in names]
    for pattern in record.model_ids:
        leaf = pattern.rsplit("/", 1)[-1].lower()
        prefix = leaf.endswith("*")
        stem = leaf.rstrip("*")
        for name in lowered:
            if (prefix and name.startswith(stem)) or name == stem:
                best = max(best, len(stem) + (0 if prefix else 1))
    return best


def _score(record: ModelRecord, info: CheckpointInfo) -> tuple | None:
    arch = bool(set(info.architectures) & set(record.architectures))
    mtype = info.model_type is not None and info.model_type in record.config_model_types
    idlen = id_match_length(record, info.names)
    knows_config = bool(info.architectures or info.model_type)
    if knows_config and not (arch or mtype):
        return None  # a name alone must not override what the weights say they are
    if not (arch or mtype or idlen):
        return None
    # The id decides between records sharing an architecture; a record named like the
    # config's model_type is the family default when no id matches.
    return (idlen, arch, mtype, record.name == info.model_type)


def rank_records(records, info: CheckpointInfo) -> list[tuple[tuple, ModelRecord]]:
    """Matching records with their scores, best first (ties by name)."""
    scored = [(s, r) for r in records if (s := _score(r, info)) is not None]
    scored.sort(key=lambda item: (tuple(-int(x) for x in item[0]), item[1].name))
    return scored


def _generic_record(models, what: object, vision: bool = False) -> ModelRecord:
    if vision and GENERIC_VISION_MODEL_TYPE in models:
        return models.get(GENERIC_VISION_MODEL_TYPE)
    if GENERIC_MODEL_TYPE in models:
        return models.get(GENERIC_MODEL_TYPE)
    raise UsageError(
        f"no registered model type matches {what!r} and no generic {GENERIC_MODEL_TYPE!r} type is "
        "installed; pass --model_type (`swift plugins list -v` lists model types)."
    )


def _warn(message: str) -> None:
    print(f"swift: warning: {message}", file=sys.stderr)


def select_model_record(
    model_dir: str | os.PathLike | None, *, model: str | None = None, model_type: str | None = None
) -> ModelRecord:
    """The model record for a checkpoint.

    ``--model_type`` wins; otherwise ``config.json`` (``architectures``, then
    ``model_type``) and the hub id or folder name choose, preferring the most specific
    record (``Qwen2ForCausalLM`` + ``Qwen/Qwen2.5-7B`` → ``qwen2_5``). When nothing
    matches, the generic ``causal_lm`` record is used with a warning (``vision_lm`` for a
    checkpoint with a ``vision_config``, when a plugin registers it).

    Args:
        model_dir: Local checkpoint folder (may lack ``config.json`` for custom loaders).
        model: ``--model`` as the user typed it (a hub id or a path).
        model_type: ``--model_type``.

    Raises:
        UnknownNameError: ``model_type`` names no registered model type.
    """
    from swift.kernel import registry

    models = registry("models")
    if model_type:
        return models.get(model_type)
    info = checkpoint_info(model, model_dir)
    ranked = rank_records(models.records(), info)
    if not ranked:
        what = info.architectures or info.model_type or model or model_dir
        record = _generic_record(models, what, info.vision)
        kind = "vision-language model" if record.name == GENERIC_VISION_MODEL_TYPE else "causal LM"
        _warn(
            f"no registered model type matches {what!r}; loading it as a generic {kind} with "
            f"template {record.template or 'default'!r}"
            + (" (the checkpoint's own chat template)" if record.template == "chat_template" else "")
            + ". Pass --model_type and --template to choose (`swift plugins list -v` lists model types)."
        )
        return record
    best_score, best = ranked[0]
    tied = [r.name for s, r in ranked[1:] if s == best_score]
    if tied:
        _warn(
            f"{model or model_dir!r} matches model types "
            f"{[best.name, *tied]}; using {best.name!r}. Pass --model_type to choose another."
        )
    return best
