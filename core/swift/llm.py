"""ms-swift compatible Python API.

Every ``*_main`` takes an arguments dataclass, an argv list, or nothing (then
``sys.argv[1:]``), and runs through the same code as the CLI::

    from swift.llm import sft_main, TrainArguments
    result = sft_main(TrainArguments(model="Qwen/Qwen2.5-7B-Instruct", train_type="lora",
                                     dataset=["swift/self-cognition#500"],
                                     model_name=["小黄", "Xiao Huang"], model_author=["魔搭", "ModelScope"]))
"""

from __future__ import annotations

import sys
from typing import Any

from swift.arguments import (
    AppArguments,
    BaseArguments,
    DeployArguments,
    EvalArguments,
    ExportArguments,
    InferArguments,
    PretrainArguments,
    RLHFArguments,
    RolloutArguments,
    SamplingArguments,
    SftArguments,
    TrainArguments,
    WebUIArguments,
)

__all__ = [
    "AppArguments",
    "BaseArguments",
    "DeployArguments",
    "EvalArguments",
    "ExportArguments",
    "InferArguments",
    "PretrainArguments",
    "RLHFArguments",
    "RolloutArguments",
    "SamplingArguments",
    "SftArguments",
    "TrainArguments",
    "WebUIArguments",
    "app_main",
    "deploy_main",
    "eval_main",
    "export_main",
    "infer_main",
    "merge_lora",
    "pt_main",
    "rlhf_main",
    "rollout_main",
    "sampling_main",
    "sft_main",
    "web_ui_main",
]


def _run(command: str, args: Any) -> Any:
    from swift.cli.main import run_command

    return run_command(command, sys.argv[1:] if args is None else args)


def pt_main(args: Any = None) -> Any:
    """``swift pt``: pre-training."""
    return _run("pt", args)


def sft_main(args: Any = None) -> Any:
    """``swift sft``: supervised fine-tuning."""
    return _run("sft", args)


def rlhf_main(args: Any = None) -> Any:
    """``swift rlhf``: preference and reward alignment."""
    return _run("rlhf", args)


def infer_main(args: Any = None) -> Any:
    """``swift infer``: chat or dataset inference."""
    return _run("infer", args)


def merge_lora(args: Any = None) -> Any:
    """``swift merge-lora``: merge adapters into the base weights."""
    return _run("merge-lora", args)


def export_main(args: Any = None) -> Any:
    """``swift export``: merge, quantize or push."""
    return _run("export", args)


def deploy_main(args: Any = None) -> Any:
    """``swift deploy``: OpenAI-compatible server."""
    return _run("deploy", args)


def rollout_main(args: Any = None) -> Any:
    """``swift rollout``: generation server for GRPO."""
    return _run("rollout", args)


def sampling_main(args: Any = None) -> Any:
    """``swift sample``: several responses per prompt."""
    return _run("sample", args)


def eval_main(args: Any = None) -> Any:
    """``swift eval``: evaluation."""
    return _run("eval", args)


def app_main(args: Any = None) -> Any:
    """``swift app``: chat app in the browser."""
    return _run("app", args)


def web_ui_main(args: Any = None) -> Any:
    """``swift web-ui``: training and inference UI."""
    return _run("web-ui", args)
