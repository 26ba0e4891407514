"""Frozen records that registration hooks yield.

A record describes *what* a plugin provides and *where* its implementation
lives (``load = "package.module:attribute"``). Listing records never imports
the implementation; :func:`swift.kernel.lazy.load_object` does that on use.

Example::

    from swift.kernel import hookimpl
    from swift.kernel.records import TunerRecord

    @hookimpl
    def swift_register_tuners():
        yield TunerRecord(name="my-lora", load="swift_acme.tuner:MyLoRA",
                          summary="LoRA with Acme defaults")
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

_LOAD_PATTERN = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_NAME_PATTERN = re.compile(r"^\S+$")


@dataclass(frozen=True)
class Provider:
    """Who registered a record: stamped by the kernel, never by a plugin.

    Attributes:
        plugin: Entry-point name, ``builtin`` or the path of an external plugin file.
        distribution: Name of the installed distribution, if any.
        version: Version of that distribution, if any.
        module: Import name of the hooks module that yielded the record.
    """

    plugin: str
    distribution: str | None = None
    version: str | None = None
    module: str = ""

    @property
    def is_builtin(self) -> bool:
        """Whether the record ships with swift itself."""
        return self.plugin == "builtin"

    def describe(self) -> str:
        """Human label, e.g. ``swift-peft 0.1.0 (peft)``."""
        if self.distribution:
            version = f" {self.version}" if self.version else ""
            return f"{self.distribution}{version} (plugin {self.plugin!r})"
        return f"plugin {self.plugin!r} ({self.module})"


@dataclass(frozen=True)
class Record:
    """Fields every record has.

    Attributes:
        name: The name users type (``--train_type lora`` → ``lora``).
        load: ``"module:attr"`` of the implementation, imported only when used.
        summary: One line shown by ``swift plugins list -v`` and in errors.
        aliases: Other names that resolve to this record.
        provider: Set by the kernel when the record is registered.
    """

    name: str
    load: str
    summary: str = ""
    aliases: tuple[str, ...] = ()
    provider: Provider | None = field(default=None, compare=False)

    def validate(self) -> None:
        """Raise ``ValueError`` with a readable reason if the record is malformed."""
        if not isinstance(self.name, str) or not _NAME_PATTERN.match(self.name):
            raise ValueError(f"record name must be a non-empty string without spaces, got {self.name!r}")
        if not isinstance(self.load, str) or not _LOAD_PATTERN.match(self.load):
            raise ValueError(f"record {self.name!r}: load must look like 'package.module:attribute', got {self.load!r}")
        if isinstance(self.aliases, str) or not all(isinstance(a, str) for a in self.aliases):
            raise ValueError(f"record {self.name!r}: aliases must be a tuple of strings")
        for f in fields(self):
            if f.name in ("name", "load", "summary", "aliases", "provider"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, list):
                raise ValueError(f"record {self.name!r}: field {f.name!r} must be a tuple, not a list")

    @property
    def names(self) -> tuple[str, ...]:
        """The primary name and every alias."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class ModelRecord(Record):
    """A ``model_type``: a group of checkpoints sharing architecture, loader and template.

    ``load`` names a loader ``fn(model_dir, args, record) -> (model, tokenizer)``
    (:class:`swift.contracts.ModelLoader`).

    Attributes:
        template: Default template name for this model type.
        architectures: ``config.json`` ``architectures`` values that select this type.
        config_model_types: ``config.json`` ``model_type`` values that select this type.
        model_ids: Hub ids (``Qwen/Qwen2.5-7B-Instruct``) that belong to this type;
            a trailing ``*`` matches a prefix.
        requires: pip requirement strings the loader needs beyond the plugin's own.
        tags: Free-form labels (``vision``, ``moe`` …).
    """

    template: str = ""
    architectures: tuple[str, ...] = ()
    config_model_types: tuple[str, ...] = ()
    model_ids: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class TemplateRecord(Record):
    """A chat template.

    ``load`` names a :class:`swift.template.TemplateMeta` (:class:`swift.contracts.TemplateMetaLike`; bound to a
    tokenizer it is a :class:`swift.contracts.Encoder`).

    Attributes:
        stop_words: Extra stop strings for inference.
        revision_of: For a published revision of another template's family (``mistral_v1``
            of ``mistral``): that template. A model whose default is ``revision_of`` gets this
            one instead when its tokenizer's chat template contains ``marker``.
        marker: Text only this revision's published Jinja chat template contains.
        parity: What the template is checked against, shown by ``swift models`` (the core's:
            "the published Jinja template"); empty = not checked.
    """

    stop_words: tuple[str, ...] = ()
    revision_of: str = ""
    marker: str = ""
    parity: str = ""


@dataclass(frozen=True)
class AgentTemplateRecord(Record):
    """A tool format (``--tools_prompt``): how a tool list, tool calls and results are written.

    ``load`` names an :class:`swift.template.agent.AgentTemplate` subclass
    (:class:`swift.contracts.AgentTemplateLike`); a chat template names its native one in
    ``TemplateMeta.agent_template``.
    """


@dataclass(frozen=True)
class ToolRecord(Record):
    """A Python function a model may call (the ``tool_call`` multi-turn scheduler runs it in GRPO rollouts).

    ``load`` names ``fn(**arguments) -> result`` (:class:`swift.contracts.ToolFunction`); the
    record's name is the function name the model calls. A result that is not a string is
    sent back as JSON.
    """


@dataclass(frozen=True)
class DatasetRecord(Record):
    """A named dataset or a dataset file format.

    ``load`` names a function ``fn(spec, args) -> rows`` for ``kind == "dataset"``
    and ``fn(path, args) -> rows`` for ``kind == "format"`` (file loaders keyed by
    suffix in ``suffixes``); both are :class:`swift.contracts.DatasetReader`.

    Attributes:
        kind: ``dataset`` (selected by name in ``--dataset``) or ``format``.
        hub_id: Hub dataset id the rows come from, if any.
        subsets: Subset names available.
        suffixes: File suffixes a ``format`` record reads (``.jsonl``).
        tags: Free-form labels.
    """

    kind: str = "dataset"
    hub_id: str = ""
    subsets: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class TunerRecord(Record):
    """A tuning method (``--train_type``). ``load`` names a :class:`swift.contracts.Tuner`.

    Attributes:
        backend: Library underneath (``peft``, ``unsloth`` …), matched to ``--tuner_backend``.
        mergeable: Whether adapters can be merged into the base weights.
        full: True for methods that train the base weights themselves.
    """

    backend: str = "peft"
    mergeable: bool = True
    full: bool = False


@dataclass(frozen=True)
class LossRecord(Record):
    """A loss function (:class:`swift.contracts.LossFunction`) or a loss-scale strategy.

    Attributes:
        kind: ``loss`` (``--loss_type``) or ``loss_scale`` (``--loss_scale``).
    """

    kind: str = "loss"


@dataclass(frozen=True)
class RewardRecord(Record):
    """A reward.

    ``fn(completions, **columns) -> list[float]`` (:class:`swift.contracts.RewardFunction`) or a reward model.

    Attributes:
        kind: ``function`` (``--reward_funcs``) or ``model`` (``--reward_model``).
    """

    kind: str = "function"


@dataclass(frozen=True)
class SchedulerRecord(Record):
    """A multi-turn scheduler (``--multi_turn_scheduler``).

    ``load`` names its class (:class:`swift.contracts.Scheduler`).
    """


@dataclass(frozen=True)
class EngineRecord(Record):
    """An inference engine (``--infer_backend``); ``load`` names its class (:class:`swift.contracts.InferEngine`).

    Attributes:
        requires: pip requirements the engine needs (shown when it cannot load).
    """

    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalBackendRecord(Record):
    """An evaluation backend (``swift eval --eval_backend``); ``load`` names its class.

    The class implements :class:`swift.contracts.EvalBackend`: built as ``cls(settings)``
    from :class:`swift.contracts.EvalSettings` (raising ``UsageError`` for datasets it
    cannot evaluate, before any model loads), then ``evaluate(target, run_dir)`` scores
    an OpenAI-compatible server.

    Attributes:
        requires: pip requirements the backend needs (shown when it cannot load).
    """

    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrainerRecord(Record):
    """A training method: ``sft``, ``pt``, ``dpo``, ``grpo`` and the ones plugins add.

    ``load`` names ``run(args) -> dict`` that trains and returns a summary
    (:class:`swift.contracts.TrainerRun`).

    Attributes:
        command: The command that selects it (``sft``, ``pt`` or ``rlhf``).
    """

    command: str = "rlhf"


@dataclass(frozen=True)
class CommandRecord(Record):
    """A ``swift <name>`` subcommand.

    ``load`` names ``main(args)`` (:class:`swift.contracts.CommandMain`): it receives the
    parsed arguments dataclass, or the
    raw argv list when ``arguments`` is empty (the command parses for itself).

    Attributes:
        arguments: ``"module:Class"`` of the arguments dataclass (light import!).
        families: Plugin families loaded before parsing (their argument groups join).
        distributed: Relaunch under ``torchrun`` when ``NPROC_PER_NODE``/``NNODES`` is set.
        provided_by: Distribution that implements a command the core only declares
            (``deploy`` → ``swift-serve``): named when it is not installed.
        order: Position in ``swift --help``.
        parent: For a subcommand, the command it belongs to: a record named
            ``plugins-new`` with ``parent="plugins"`` is run as ``swift plugins new``
            (its ``load`` gets the remaining argv) and is not a command of its own.
    """

    arguments: str = ""
    families: tuple[str, ...] = ()
    distributed: bool = False
    provided_by: str = ""
    order: int = 100
    parent: str = ""


@dataclass(frozen=True)
class ArgumentGroupRecord(Record):
    """A group of command-line arguments contributed by a plugin.

    ``load`` names a dataclass (its module must import nothing heavy).

    Attributes:
        commands: Commands whose parser gets the group (``infer``, ``deploy`` …).
    """

    commands: tuple[str, ...] = ()
