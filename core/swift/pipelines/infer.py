"""Body of ``swift infer``: build the engine, then chat or run over a dataset.

The pipeline talks to the engine only through :mod:`swift.protocol`, so every
``--infer_backend`` (pt, vllm …) behaves the same here. With ``--merge_lora
true`` the adapters are merged first (into ``<checkpoint>-merged``, as ms-swift
does) and inference runs on the merged weights.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from swift.pipelines.infer_dataset import open_result_file, run_dataset, wants_dataset
from swift.pipelines.infer_engine import create_engine
from swift.pipelines.infer_repl import run_interactive
from swift.pipelines.merge import merge_before_infer


def infer_main(args: Any) -> dict:
    """Run ``swift infer`` for ``args`` (``InferArguments``).

    Returns:
        ``{"result_path": ..., "num_samples": n}`` in dataset mode, ``{"answers": n}``
        after an interactive chat.
    """
    if getattr(args, "merge_lora", False) and args.adapters:
        merge_before_infer(args)
    engine = create_engine(args)
    try:
        if wants_dataset(args):
            return run_dataset(engine, args)
        return _interactive(engine, args)
    finally:
        engine.close()


def _interactive(engine: Any, args: Any) -> dict:
    if not args.result_path:
        return run_interactive(engine, args)
    path, log = open_result_file(args)
    with log:
        result = run_interactive(engine, args, log=log)
    print(f"swift infer: conversation written to {os.path.abspath(path)}", file=sys.stderr)
    return {**result, "result_path": path}
