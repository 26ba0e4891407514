"""The public API of swift-transformers, for other plugins.

Other plugins (swift-trl, a third party's trainer or model package) import
swift-transformers through this module only; everything else in the package is
internal and may change. Model and dataset loading are not here: reach them through
the core's seams (:func:`swift.services.load_model`, :func:`swift.services.load_datasets`),
so a plugin works with whichever plugin answers them.

Imports are lazy: ``from swift_transformers.api import say`` does not import torch.

Training runs (what ``swift sft`` does, step by step, for a trainer of your own):

* :func:`prepare_run` — distributed setup, run folder, model loading → :class:`Run`;
* :func:`prepare_tuner` — attach the ``--train_type`` tuner (seeded, total steps passed);
* :func:`build_callbacks`, :func:`tuner_param_groups`, :func:`training_values` — the
  pieces of a transformers ``Trainer`` configured from the arguments;
* :class:`SwiftTrainerMixin` — checkpoints through the tuner, LoRA+ groups, run logs;
* :func:`train`, :func:`finish_run`, :func:`last_checkpoint`, :func:`say`;
* :func:`run_training` — the whole sft/pt recipe for a given trainer method.

Data: :func:`rejection_reason`, :class:`DropReport` (count and report dropped rows).
Models: :func:`load_causal_lm` — the loader ``ModelRecord.load`` of AutoModelForCausalLM
checkpoints names (``"swift_transformers.api:load_causal_lm"``).
Distributed: :func:`is_main_process`, :func:`barrier`.
Packed rows: :func:`use_packed_attention` (:func:`describe_packed_attention` for the log) — the
model then attends within each sample of a row whose ``position_ids`` restart per sample
(``--padding_free``), never across; padded batches and generation keep working.
:func:`unpad_padded_batches` — a trainer that pads its own batches (trl's preference trainers)
keeps its padded layout while the backbone computes only the real tokens, as one such row.
"""

from __future__ import annotations

from swift.kernel.lazy import lazy_exports

_EXPORTS = {
    "Run": "swift_transformers.train.steps",
    "prepare_run": "swift_transformers.train.steps",
    "prepare_tuner": "swift_transformers.train.steps",
    "check_supported": "swift_transformers.checks",
    "train": "swift_transformers.train.steps",
    "finish_run": "swift_transformers.train.steps",
    "last_checkpoint": "swift_transformers.train.steps",
    "say": "swift_transformers.train.steps",
    "build_callbacks": "swift_transformers.train.build",
    "tuner_param_groups": "swift_transformers.train.build",
    "training_values": "swift_transformers.train.hf_args",
    "SwiftTrainerMixin": "swift_transformers.train.mixins",
    "run_training": "swift_transformers.train.recipe",
    "is_main_process": "swift_transformers.train.run_dir",
    "barrier": "swift_transformers.train.run_dir",
    "rejection_reason": "swift_transformers.data.encoding",
    "DropReport": "swift_transformers.data.report",
    "load_causal_lm": "swift_transformers.models.loading",
    "use_packed_attention": "swift_transformers.train.varlen",
    "describe_packed_attention": "swift_transformers.train.varlen",
    "unpad_padded_batches": "swift_transformers.train.unpad",
    "MEDIA_TENSOR_KEYS": "swift_transformers.train.collator",
    "TOKEN_TYPE_KEYS": "swift_transformers.train.collator",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
