"""``--custom_dataset_info a.json``: simple datasets registered by a JSON file.

The file is a list of entries; each names its data with one of ``dataset_path``
(relative paths are relative to the JSON file), ``hf_dataset_id`` or
``ms_dataset_id``, and may add ``dataset_name``, ``subsets`` and ``columns``
(renames applied before ``--columns``)::

    [{"dataset_path": "data/support.jsonl", "dataset_name": "support",
      "columns": {"question": "query", "answer": "response"}}]

``--dataset support`` (or the path, or the id) then uses the entry.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swift.kernel import UsageError
from swift_transformers.data.preprocess import RowOptions
from swift_transformers.data.spec import DatasetSpec

_ID_KEYS = ("dataset_path", "hf_dataset_id", "ms_dataset_id")


@dataclass(frozen=True)
class CustomDataset:
    """One entry of a ``--custom_dataset_info`` file.

    Attributes:
        names: What ``--dataset`` may say to select it (name, path or id as written).
        path: Resolved local path, when the entry has ``dataset_path``.
        hub_id: Hub id, when the entry has ``hf_dataset_id`` / ``ms_dataset_id``.
        subsets: Default subsets.
        columns: Column renames of this dataset.
    """

    names: tuple[str, ...]
    path: str = ""
    hub_id: str = ""
    subsets: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)

    def matches(self, name: str) -> bool:
        """Whether ``--dataset name`` selects this entry."""
        return name in self.names

    def load(self, spec: DatasetSpec, args: Any, opts: RowOptions) -> list:
        """Standardized datasets of this entry (the spec's subsets win over the defaults)."""
        from swift_transformers.data.sources import load_hub, load_path

        columns = {**self.columns, **opts.columns}
        opts = dataclasses.replace(opts, columns=columns)
        if self.path:
            if not os.path.exists(self.path):
                raise UsageError(f"custom dataset {spec.name!r}: dataset_path {self.path} does not exist")
            return load_path(self.path, args, opts)
        hub_spec = dataclasses.replace(spec, name=self.hub_id, subsets=spec.subsets or self.subsets)
        return load_hub(hub_spec, args, opts)


def _entry(item: Any, source: Path, index: int) -> CustomDataset:
    where = f"{source} entry {index}"
    if not isinstance(item, dict) or not any(item.get(k) for k in _ID_KEYS):
        raise UsageError(f"{where}: each entry needs one of {', '.join(_ID_KEYS)}")
    columns = item.get("columns") or {}
    if not isinstance(columns, dict):
        raise UsageError(f"{where}: 'columns' must be an object mapping old to new names")
    subsets = item.get("subsets") or ()
    subsets = tuple(s if isinstance(s, str) else s.get("subset", s.get("name", "")) for s in subsets)
    names = tuple(str(item[k]) for k in ("dataset_name", *_ID_KEYS) if item.get(k))
    path = ""
    if item.get("dataset_path"):
        path = os.path.join(source.parent, os.path.expanduser(item["dataset_path"]))
    hub_id = item.get("hf_dataset_id") or item.get("ms_dataset_id") or ""
    return CustomDataset(names=names, path=path, hub_id=hub_id, subsets=subsets, columns=dict(columns))


def load_custom_info(files: Sequence[str]) -> list[CustomDataset]:
    """Parse every ``--custom_dataset_info`` file.

    Raises:
        UsageError: For a missing file, invalid JSON or an entry without a source.
    """
    entries: list[CustomDataset] = []
    for name in files:
        path = Path(name).expanduser()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(f"--custom_dataset_info {name}: {exc.strerror or exc}") from exc
        except json.JSONDecodeError as exc:
            raise UsageError(f"--custom_dataset_info {name}: invalid JSON ({exc})") from exc
        if isinstance(data, dict):
            data = [data]
        entries += [_entry(item, path, i) for i, item in enumerate(data, 1)]
    return entries
