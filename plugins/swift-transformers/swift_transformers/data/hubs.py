"""Named hub datasets: ms-swift's ModelScope ids, loaded from ModelScope or their Hugging Face copy.

ms-swift's examples name datasets by ModelScope id (``AI-ModelScope/alpaca-gpt4-data-en#500``);
most have a Hugging Face copy under another id. :data:`HUB_DATASETS` pairs them (with the column
renames the copy needs); each pair is a record of the datasets family, named by its ModelScope id
with the Hugging Face id as alias. Which hub serves it:

* ``--use_hf true`` (or ``USE_HF=1``, as ms-swift reads it): Hugging Face;
* otherwise ModelScope (its hub client ``modelscope-hub`` downloads the repository's data files,
  ``datasets`` reads them); without the client, the Hugging Face copy, with a notice saying so.

Offline (``HF_HUB_OFFLINE=1``) the hub's local cache is read; a dataset that is not there is a
usage error naming both ids. Light: the table only; ``datasets`` and the hub clients load inside.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from swift_transformers import hub


@dataclass(frozen=True)
class HubDataset:
    """One dataset on both hubs.

    Attributes:
        modelscope: Its ModelScope id (what ms-swift's docs and users type).
        huggingface: The Hugging Face copy.
        columns: Renames (old → new) so the rows read as a known layout (alpaca, messages …).
        summary: One line for ``swift plugins list``.
        tags: Free-form labels.
    """

    modelscope: str
    huggingface: str
    columns: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    tags: tuple[str, ...] = ()


HUB_DATASETS = (
    HubDataset(
        "AI-ModelScope/alpaca-gpt4-data-en",
        "vicgalle/alpaca-gpt4",
        {},
        "Alpaca prompts answered by GPT-4, English (52k)",
        ("sft", "en"),
    ),
    HubDataset(
        "AI-ModelScope/alpaca-gpt4-data-zh",
        "llm-wizard/alpaca-gpt4-data-zh",
        {},
        "Alpaca prompts answered by GPT-4, Chinese (49k)",
        ("sft", "zh"),
    ),
    HubDataset(
        "AI-ModelScope/alpaca-cleaned",
        "yahma/alpaca-cleaned",
        {},
        "Stanford Alpaca with its errors fixed (52k)",
        ("sft", "en"),
    ),
    HubDataset(
        "AI-ModelScope/MathInstruct",
        "TIGER-Lab/MathInstruct",
        {},
        "math instructions with CoT/PoT answers (262k)",
        ("sft", "math"),
    ),
    HubDataset(
        "AI-ModelScope/Open-Platypus",
        "garage-bAInd/Open-Platypus",
        {},
        "STEM and logic instructions (25k)",
        ("sft", "en"),
    ),
    HubDataset(
        "AI-ModelScope/sql-create-context",
        "b-mc2/sql-create-context",
        {"question": "instruction", "context": "input", "answer": "output"},
        "text-to-SQL with the table definitions (78k)",
        ("sft", "sql"),
    ),
    HubDataset(
        "AI-ModelScope/lmsys-chat-1m",
        "lmsys/lmsys-chat-1m",
        {"conversation": "messages"},
        "real chats with 25 models (1M, gated on Hugging Face)",
        ("sft", "multi-turn"),
    ),
)


def find(name: str) -> HubDataset:
    """The entry whose ModelScope or Hugging Face id is ``name``."""
    return next(d for d in HUB_DATASETS if name in (d.modelscope, d.huggingface))


def load_hub_dataset(spec: Any, args: Any) -> Any:
    """The named-dataset loader (``fn(spec, args)``): the rows of ``spec`` from the hub that serves it.

    Raises:
        UsageError: The hub cannot provide it (offline and not cached, unknown subset …), naming both ids.
    """
    from swift.kernel import UsageError

    entry = find(spec.name)
    subsets = spec.subsets or (None,)
    if hub.on_modelscope(args):
        hub_name, dataset_id, load = "ModelScope", entry.modelscope, _from_modelscope
    else:
        if not hub.use_hf(args):
            print(
                f"swift: modelscope-hub is not installed; loading {entry.modelscope} from its Hugging Face "
                f"copy {entry.huggingface} (pass --use_hf true to say so, or pip install modelscope-hub)",
                file=sys.stderr,
            )
        hub_name, dataset_id, load = "Hugging Face", entry.huggingface, _from_huggingface
    parts = []
    for subset in subsets:
        try:
            parts.append(load(dataset_id, subset, args))
        except Exception as exc:  # the hub clients raise many unrelated types
            offline = " (offline: only the hub's local cache is read)" if hub.offline() else ""
            other = f"--use_hf true for {entry.huggingface!r}" if hub_name == "ModelScope" else "a local file"
            raise UsageError(
                f"cannot load dataset {spec.name!r} from {hub_name} as {dataset_id!r}{offline}: {type(exc).__name__}: "
                f"{exc}. Download it once online, or pass {other}."
            ) from exc
    from datasets import concatenate_datasets

    data = parts[0] if len(parts) == 1 else concatenate_datasets(parts)
    renames = {old: new for old, new in entry.columns.items() if old in (data.column_names or ())}
    return data.rename_columns(renames) if renames else data


def _from_huggingface(dataset_id: str, subset: str | None, args: Any) -> Any:
    import datasets

    source = dataset_id
    if hub.offline():
        # the hub's own cache (datasets--org--name/snapshots/<sha>/…), as huggingface_hub lays it out
        from huggingface_hub import snapshot_download

        source = snapshot_download(dataset_id, repo_type="dataset", local_files_only=True)
    return datasets.load_dataset(
        source,
        subset,
        split="train",
        download_mode=getattr(args, "download_mode", None) or "reuse_dataset_if_exists",
    )


def _from_modelscope(dataset_id: str, subset: str | None, args: Any) -> Any:
    import datasets

    folder = hub.modelscope_snapshot(dataset_id, "dataset", token=getattr(args, "hub_token", None))
    return datasets.load_dataset(
        folder,
        None if subset == "default" else subset,  # ModelScope's name of a dataset without subsets
        split="train",
        download_mode=getattr(args, "download_mode", None) or "reuse_dataset_if_exists",
    )
