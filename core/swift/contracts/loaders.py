"""Typed loaders: a family's registry lookup that returns its contract, checked.

``load_tuner("lora")`` is ``registry("tuners").load("lora")`` with the result typed
as :class:`~swift.contracts.Tuner` and checked against it, so a plugin whose object
does not implement the contract fails with a message naming the missing methods
instead of an ``AttributeError`` in the middle of training.
"""

from __future__ import annotations

import inspect
from typing import Any, Generic, Protocol, TypeVar

from swift.contracts.evaluation import EvalBackend
from swift.contracts.families import (
    AgentTemplateLike,
    LossFunction,
    LossScaleLike,
    ModelLoader,
    RewardFunction,
    Scheduler,
    TemplateFactory,
    TemplateMetaLike,
    ToolFunction,
    TrainerRun,
)
from swift.contracts.tuner import Tuner
from swift.kernel.errors import PluginLoadError
from swift.protocol.engine import InferEngine

T = TypeVar("T")


def protocol_members(protocol: type) -> tuple[list[str], list[str]]:
    """``(methods, attributes)`` a Protocol declares (its own and its bases')."""
    methods: list[str] = []
    attributes: list[str] = []
    for base in protocol.__mro__:
        if base in (object, Protocol, Generic) or base.__module__ == "typing":
            continue
        for name, value in vars(base).items():
            if name != "__call__" and name.startswith("_"):
                continue
            if isinstance(value, property) and name not in attributes:
                attributes.append(name)
            elif callable(value) and name not in methods:
                methods.append(name)
        for name in getattr(base, "__annotations__", {}):
            if not name.startswith("_") and name not in attributes:
                attributes.append(name)
    return methods, attributes


def missing_members(obj: Any, protocol: type, *, optional: tuple[str, ...] = ()) -> list[str]:
    """Names of ``protocol``'s members that ``obj`` lacks.

    For a class (engines and schedulers are registered as classes) only methods are
    checked: attributes such as ``model_name`` are set by the constructor.
    """
    methods, attributes = protocol_members(protocol)
    wanted = methods if isinstance(obj, type) else [*methods, *attributes]
    missing = []
    for name in wanted:
        if name in optional:
            continue
        if name == "__call__":
            if not callable(obj):
                missing.append("__call__ (it must be callable)")
        elif not hasattr(obj, name):
            missing.append(name)
    return missing


def check_conforms(obj: Any, protocol: type[T], what: str, *, optional: tuple[str, ...] = ()) -> T:
    """Return ``obj`` when it satisfies ``protocol`` (``optional`` members aside).

    Raise ``PluginLoadError`` naming what is missing.
    """
    missing = missing_members(obj, protocol, optional=optional)
    if missing:
        raise PluginLoadError(
            f"{what} does not implement {protocol.__module__}.{protocol.__qualname__}: missing {', '.join(missing)}"
        )
    return obj


def _load(family: str, name: str) -> tuple[Any, str, Any]:
    from swift.kernel import registry

    reg = registry(family)
    record = reg.get(name)
    return reg.load(record.name), f"{reg.family.label} {record.name!r} ({record.load})", record


def check_tuner(obj: Any, what: str, *, mergeable: bool = True) -> Tuner:
    """Check a tuner object against :class:`Tuner` (``merge`` only when ``mergeable``)."""
    check_conforms(obj, Tuner, what, optional=() if mergeable else ("merge",))
    if "total_steps" not in inspect.signature(obj.prepare).parameters:
        raise PluginLoadError(f"{what}: prepare() must accept the keyword total_steps (see swift.contracts.Tuner)")
    return obj


def load_tuner(name: str) -> Tuner:
    """The tuner of ``--train_type name``, checked against :class:`Tuner`."""
    obj, what, record = _load("tuners", name)
    return check_tuner(obj, what, mergeable=record.mergeable)


def load_model_loader(name: str) -> ModelLoader:
    """The loader of model type ``name``."""
    obj, what, _ = _load("models", name)
    return check_conforms(obj, ModelLoader, what)


def load_template_meta(name: str) -> TemplateMetaLike | TemplateFactory:
    """The template layout (or template factory) registered as ``name``."""
    obj, what, _ = _load("templates", name)
    return check_template_object(obj, what)


def check_template_object(obj: Any, what: str) -> TemplateMetaLike | TemplateFactory:
    """A template record's object: a layout (``TemplateMeta``) or a factory ``(tokenizer, **options)``."""
    if not isinstance(obj, type) and callable(obj) and not hasattr(obj, "name"):
        return check_conforms(obj, TemplateFactory, what)
    return check_conforms(obj, TemplateMetaLike, what)


def load_loss(name: str) -> LossFunction:
    """The loss function registered as ``name`` (``kind="loss"``)."""
    obj, what, _ = _load("losses", name)
    return check_conforms(obj, LossFunction, what)


def load_reward(name: str) -> RewardFunction:
    """The reward function (or class) registered as ``name``."""
    obj, what, _ = _load("rewards", name)
    return check_conforms(obj, RewardFunction, what)


def load_scheduler(name: str) -> type[Scheduler]:
    """The multi-turn scheduler class registered as ``name``."""
    obj, what, _ = _load("schedulers", name)
    return check_conforms(obj, Scheduler, what)


def load_engine(name: str) -> type[InferEngine]:
    """The engine class of ``--infer_backend name``."""
    obj, what, _ = _load("engines", name)
    return check_conforms(obj, InferEngine, what)


def load_eval_backend(name: str) -> type[EvalBackend]:
    """The backend class of ``swift eval --eval_backend name``."""
    obj, what, _ = _load("eval_backends", name)
    return check_conforms(obj, EvalBackend, what)


def load_tool(name: str) -> ToolFunction:
    """The function of the tool ``name`` (a ``tools`` record)."""
    obj, what, _ = _load("tools", name)
    return check_conforms(obj, ToolFunction, what)


def load_loss_scale_object(name: str) -> LossScaleLike:
    """The strategy of ``--loss_scale name`` (a ``losses`` record of ``kind="loss_scale"``)."""
    from swift.kernel import UsageError, registry
    from swift.kernel.errors import closest

    records = [r for r in registry("losses").records() if r.kind == "loss_scale"]
    names = {n: r for r in records for n in (r.name, *r.aliases)}
    if name not in names:
        near = closest(name, names)
        hint = f" Did you mean {near!r}?" if near else ""
        raise UsageError(
            f"--loss_scale {name!r} is not a loss-scale strategy; choose one of "
            f"{', '.join(sorted(r.name for r in records))} or a JSON file of weights.{hint}"
        )
    obj, what, _ = _load("losses", name)
    return check_conforms(obj, LossScaleLike, what)


def load_agent_template(name: str) -> AgentTemplateLike:
    """An instance of the tool format ``--tools_prompt name``."""
    obj, what, _ = _load("agent_templates", name)
    obj = check_conforms(obj, AgentTemplateLike, what)
    if not isinstance(obj, type):
        return obj
    try:
        return obj()
    except TypeError as exc:  # an AgentTemplate subclass that leaves an abstract method out
        raise PluginLoadError(f"{what} cannot be built: {exc}") from exc


def load_trainer(name: str) -> TrainerRun:
    """The ``run(args)`` of the trainer registered as ``name``."""
    obj, what, _ = _load("trainers", name)
    return check_conforms(obj, TrainerRun, what)
