"""Validation before work: every name a run will look up is resolved first.

Called by :func:`swift.cli.main.run_command` for every command with arguments,
after parsing and before the command body runs — so before any model loads and
before a run folder exists. A usage error here exits 2 within a second and leaves
nothing on disk.

Every plugin first checks the flags it owns through the ``swift_check_args`` hook
(flags a command refuses, dataset paths, ``--optimizer``, ``--metric``, flag
combinations, the families its trainer needs …); then the core resolves the names of
registries (``--train_type``, ``--loss_type``, ``--template``, ``--model_type``,
``--multi_turn_scheduler``, ``--infer_backend``, ``--eval_backend``, ``--reward_funcs``, the trainer).
A family no installed plugin provides is left to the plugin that needs it: a trainer
that uses no tuner must not fail for want of swift-peft.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from swift.kernel import UsageError, get_kernel
from swift.kernel.records import CommandRecord

if TYPE_CHECKING:
    from swift.arguments import BaseArguments

# (family, flag, commands): the flag names a record of the family (for these commands;
# empty = every command whose record loads the family).
NAMED_BY_FLAG = (
    ("tuners", "train_type", ()),
    # `swift rlhf --loss_type` is the preference loss of trl (sigmoid, hinge …), not a record
    ("losses", "loss_type", ("pt", "sft")),
    ("templates", "template", ()),
    ("agent_templates", "tools_prompt", ()),
    ("models", "model_type", ()),
    ("schedulers", "multi_turn_scheduler", ()),
    ("engines", "infer_backend", ()),
    ("eval_backends", "eval_backend", ("eval",)),
)
_TRAINING = ("pt", "sft", "rlhf")


def trainer_method(command: str, args: BaseArguments) -> str:
    """The trainer record a training command runs: the command, or ``--rlhf_type``."""
    return args.rlhf_type if command == "rlhf" else command


def check_before_work(record: CommandRecord, args: BaseArguments) -> None:
    """Resolve every registry name ``args`` uses and let plugins check their flags.

    Raises:
        UsageError: An unknown name (listing what exists, with the closest), a trainer
            of another command, or whatever a plugin's ``swift_check_args`` refuses.
    """
    kernel = get_kernel()
    kernel.check_args(record.name, args)
    check_checkpoint_flags(args)
    families = set(record.families)
    for family, flag, commands in NAMED_BY_FLAG:
        value = getattr(args, flag, None)
        if commands and record.name not in commands:
            continue
        if family in families and isinstance(value, str) and value:
            _resolve(family, value)
    if "templates" in families and getattr(args, "loss_scale", None):
        from swift.template.loss_scale import load_loss_scale

        load_loss_scale(args.loss_scale)
    if "rewards" in families:
        for name in getattr(args, "reward_funcs", None) or ():
            if isinstance(name, str):
                _resolve("rewards", name)
    if "tuners" in families and record.name in _TRAINING:
        check_tuner_backend(getattr(args, "train_type", None), getattr(args, "tuner_backend", None))
    if record.name in _TRAINING and "trainers" in families:
        method = trainer_method(record.name, args)
        trainer = kernel.registry("trainers").get(method)
        if trainer.command != record.name:
            raise UsageError(f"trainer {method!r} belongs to `swift {trainer.command}`, not `swift {record.name}`")


def check_checkpoint_flags(args: BaseArguments) -> None:
    """``--adapters``, ``--ckpt_dir`` and ``--resume_from_checkpoint`` folders hold a whole checkpoint.

    Hub ids and missing paths are left to the loaders, which say so in their own words.

    Raises:
        UsageError: Naming the flag, the folder and what it lacks.
    """
    import os

    from swift.services import adapter_paths, check_checkpoint

    for path in adapter_paths(list(getattr(args, "adapters", None) or [])):
        if os.path.isdir(path):
            check_checkpoint(path, "--adapters")
    ckpt_dir = getattr(args, "ckpt_dir", None)
    if ckpt_dir and os.path.isdir(ckpt_dir):
        check_checkpoint(ckpt_dir, "--ckpt_dir")
    resume = getattr(args, "resume_from_checkpoint", None)
    if resume and os.path.isdir(resume):
        only_model = bool(getattr(args, "resume_only_model", False))
        check_checkpoint(resume, "--resume_from_checkpoint", resume=not only_model)


def check_tuner_backend(train_type: str | None, backend: str | None) -> None:
    """``--tuner_backend`` must be the library the ``--train_type`` record is implemented with.

    Raises:
        UsageError: Naming the tuner's backend and the tuners installed for the asked one.
    """
    from swift.kernel import MissingProviderError, registry

    if not train_type or not backend:
        return
    try:
        tuners = registry("tuners")
        tuner = tuners.get(train_type)
    except MissingProviderError:
        return
    if tuner.backend == backend:
        return
    others = sorted(r.name for r in tuners.records() if r.backend == backend)
    offer = (
        f"tuners on {backend}: {', '.join(others)}"
        if others
        else f"no installed plugin provides a tuner on {backend} (`swift plugins list -v` shows the tuners)"
    )
    raise UsageError(
        f"--tuner_backend {backend}: --train_type {tuner.name} is implemented with {tuner.backend}; {offer}. "
        f"Drop --tuner_backend or pass --tuner_backend {tuner.backend}."
    )


def _resolve(family: str, name: str) -> None:
    from swift.kernel import MissingProviderError, registry

    try:
        registry(family).get(name)
    except MissingProviderError:
        pass  # no plugin provides the family: the plugin that needs it says what to install
