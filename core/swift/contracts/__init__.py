"""The contracts of every plugin family, as Protocols.

A record's ``load`` names an object; the object the kernel loads must satisfy the
family's Protocol below. The hookspecs, the records' docstrings, the typed loaders
(:func:`load_tuner` …) and the SDK's conformance suite all point here, so there is
one definition of what a plugin implements:

============  =============================================  ==============================
family        ``record.load`` names                           Protocol
============  =============================================  ==============================
models        ``fn(model_dir, args, record)``                 :class:`ModelLoader`
templates     a :class:`swift.template.TemplateMeta`          :class:`TemplateMetaLike`;
              or ``factory(tokenizer, **options)``            :class:`TemplateFactory`;
                                                              bound: :class:`Encoder`
agent_templ.  an ``AgentTemplate`` subclass (tool format)      :class:`AgentTemplateLike`
datasets      ``fn(spec_or_path, args) -> rows``              :class:`DatasetReader`
tuners        a tuner object                                  :class:`Tuner` (+ extras)
losses        ``fn(outputs, labels, num_items_in_batch)``     :class:`LossFunction`
rewards       ``fn(completions, **columns)`` or a class      :class:`RewardFunction`
schedulers    a ``MultiTurnScheduler`` subclass               :class:`Scheduler`
tools         ``fn(**arguments) -> result``                   :class:`ToolFunction`
engines       an engine class                                 :class:`swift.protocol.InferEngine`
eval_backends a class built from :class:`EvalSettings`         :class:`EvalBackend`
trainers      ``run(args) -> dict``                            :class:`TrainerRun`
commands      ``main(args)``                                   :class:`CommandMain`
============  =============================================  ==============================

Everything here is pure Python; importing it imports no torch.
"""

from __future__ import annotations

from swift.contracts.evaluation import EvalBackend, EvalReport, EvalScore, EvalSettings, EvalTarget
from swift.contracts.families import (
    AgentTemplateLike,
    CommandMain,
    DatasetReader,
    InvalidRow,
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
from swift.contracts.loaders import (
    check_template_object,
    load_agent_template,
    load_engine,
    load_eval_backend,
    load_loss,
    load_loss_scale_object,
    load_model_loader,
    load_reward,
    load_scheduler,
    load_template_meta,
    load_tool,
    load_trainer,
    load_tuner,
)
from swift.contracts.services import Encoder, LoadedModel, MediaPromptEncoder, Quantizer
from swift.contracts.tuner import Tuner, TunerWithCallback, TunerWithParamGroups
from swift.protocol.engine import InferEngine

__all__ = [
    "AgentTemplateLike",
    "CommandMain",
    "DatasetReader",
    "Encoder",
    "EvalBackend",
    "EvalReport",
    "EvalScore",
    "EvalSettings",
    "EvalTarget",
    "InferEngine",
    "InvalidRow",
    "LoadedModel",
    "LossFunction",
    "LossScaleLike",
    "MediaPromptEncoder",
    "ModelLoader",
    "Quantizer",
    "RewardFunction",
    "Scheduler",
    "TemplateFactory",
    "TemplateMetaLike",
    "ToolFunction",
    "TrainerRun",
    "Tuner",
    "TunerWithCallback",
    "TunerWithParamGroups",
    "load_agent_template",
    "load_engine",
    "load_eval_backend",
    "load_loss",
    "load_loss_scale_object",
    "load_model_loader",
    "load_reward",
    "load_scheduler",
    "check_template_object",
    "load_template_meta",
    "load_tool",
    "load_trainer",
    "load_tuner",
]
