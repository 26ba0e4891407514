"""``BaseArguments``: what every swift command takes (model, data, template, plugins …)."""

import os
from dataclasses import fields
from functools import cache

from swift.arguments._fields import arg, argclass
from swift.arguments._types import ConversionError, is_list, parse_dict
from swift.arguments.checkpoint import apply_ckpt_dir, restore_from_checkpoint
from swift.arguments.errors import ArgumentError
from swift.arguments.groups import (
    DataArguments,
    GenerationArguments,
    ModelArguments,
    QuantizeArguments,
    TemplateArguments,
)


@argclass
class BaseArguments(GenerationArguments, QuantizeArguments, DataArguments, TemplateArguments, ModelArguments):
    """Base: plugins, tuner choice, adapters, seed and hub access."""

    external_plugins: list[str] = arg(
        [],
        "Python files imported before anything else so their registrations take effect.",
        aliases=("custom_register_path",),
    )
    train_type: str = arg(
        "lora",
        "Tuning method: lora, full, adalora, llamapro, vera, boft, fourierft, reft … (plugins).",
        aliases=("tuner_type",),
    )
    tuner_backend: str = arg("peft", "Library implementing the tuner: peft or unsloth (tuner plugins).")
    adapters: list[str] = arg([], "Adapter ids or paths to load (optionally `name=path`).")
    seed: int = arg(42, "Global random seed.")
    load_args: bool = arg(True, "Fill unset arguments from the args.json of the checkpoint given.")
    load_data_args: bool = arg(False, "With --load_args, also restore the data arguments.")
    use_hf: bool = arg(False, "Download models/datasets from (and push to) Hugging Face instead of ModelScope.")
    hub_token: str | None = arg(None, "Hub access token.")
    ignore_args_error: bool = arg(False, "Warn about unknown flags instead of failing (notebook use).")

    def __post_init__(self) -> None:
        normalize_scalars_to_lists(self)
        # Absolute, so args.json still finds them from another working directory.
        self.external_plugins = [os.path.abspath(os.path.expanduser(p)) for p in self.external_plugins]
        for name in ("model_kwargs", "columns"):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, _dict_arg(name, value))
        apply_ckpt_dir(self)
        if self.load_args:
            restore_from_checkpoint(self)
        resolve_task(self)

    @property
    def model_suffix(self) -> str | None:
        """The last path component of ``model`` (``Qwen/Qwen2.5-7B`` → ``Qwen2.5-7B``)."""
        return model_suffix(self.model)


def resolve_task(args: "BaseArguments") -> None:
    """``--task_type``/``--num_labels``/``--problem_type`` made consistent (ms-swift's rules).

    ``--num_labels`` alone means ``seq_cls``; ``problem_type`` defaults to ``regression`` for one
    label and ``single_label_classification`` otherwise. ``seq_cls`` without ``--num_labels`` is
    left for the loader: a classification checkpoint knows its labels.
    """
    if args.num_labels is not None and args.num_labels < 1:
        raise ArgumentError(f"--num_labels must be at least 1, got {args.num_labels}")
    if args.task_type is None and args.num_labels is not None:
        args.task_type = "seq_cls"
    if args.task_type == "causal_lm" and (args.num_labels is not None or args.problem_type is not None):
        flag = "--num_labels" if args.num_labels is not None else "--problem_type"
        raise ArgumentError(f"{flag} is for classification: drop it or use --task_type seq_cls")
    if args.problem_type is None and args.num_labels is not None:
        args.problem_type = "regression" if args.num_labels == 1 else "single_label_classification"


def model_suffix(model: str | None) -> str | None:
    """The last path component of a model id or path, or None."""
    if not model:
        return None
    return model.replace("\\", "/").rstrip("/").split("/")[-1] or None


@cache
def _list_field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if is_list(f.type))


def normalize_scalars_to_lists(args: object) -> None:
    """Wrap a single value given for a list field from Python (``dataset='a'``) into a list."""
    for name in _list_field_names(type(args)):
        value = getattr(args, name)
        if isinstance(value, (str, int, float)):
            setattr(args, name, [value])
        elif isinstance(value, tuple):
            setattr(args, name, list(value))


def _dict_arg(name: str, value: str) -> dict:
    try:
        return parse_dict(value)
    except ConversionError as exc:
        raise ArgumentError(f"--{name} {exc}") from exc
