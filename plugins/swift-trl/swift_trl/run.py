"""What a ``swift rlhf`` run needs beyond the steps every swift recipe shares.

A method's recipe (:mod:`swift_trl.preference.recipe`, :mod:`swift_trl.grpo.recipe`)
is composed from :mod:`swift_transformers.api` (``prepare_run``,
``prepare_tuner``, ``train``, ``finish_run``), its trainer from
:class:`swift_transformers.api.SwiftTrainerMixin`; this module adds the
reference model (:func:`load_reference`) and the trl config fields
(:func:`config_values`).
"""

from __future__ import annotations

import copy
from dataclasses import fields
from typing import Any

from swift_transformers.api import say


def reference_arguments(args: Any) -> Any:
    """A copy of ``args`` whose model flags name the reference model (``--ref_model*``)."""
    ref_args = copy.copy(args)
    ref_args.model = args.ref_model
    ref_args.model_type = args.ref_model_type
    ref_args.model_revision = args.ref_model_revision
    # the reference is frozen: no quantised training setup, no adapters of the policy
    ref_args.adapters = []
    return ref_args


def load_reference(args: Any) -> Any | None:
    """The frozen reference model named by ``--ref_model``, or None.

    ``RLHFArguments`` sets ``ref_model`` to the policy's own checkpoint for full
    training (the policy's weights move, so the reference must be a copy). With an
    adapter tuner and no ``--ref_model`` the trainers use the policy with its
    adapter disabled instead, so nothing is loaded.
    """
    if not getattr(args, "ref_model", None):
        return None
    from swift.services import load_model

    ref_model, _, _ = load_model(reference_arguments(args))
    ref_model.eval()
    ref_model.requires_grad_(False)
    say(f"reference model: {args.ref_model}")
    return ref_model


def config_values(
    args: Any, run_dir: str, config_cls: type, *, has_eval: bool, model_dtype: Any = None
) -> dict[str, Any]:
    """Keyword arguments for ``config_cls`` (a trl config or ``TrainingArguments``).

    The transformers fields are mapped exactly as for ``swift sft``
    (:func:`swift_transformers.api.training_values`); then only those
    ``config_cls`` accepts are kept. trl configs default to bf16 and gradient
    checkpointing on; swift's own values always win, and bf16 stays off on CPU.
    """
    from swift_transformers.api import training_values

    values = training_values(args, run_dir, has_eval=has_eval, model_dtype=model_dtype)
    accepted = {f.name for f in fields(config_cls) if f.init}
    values = {k: v for k, v in values.items() if k in accepted}
    # trl turns an unset bf16 into True; swift trains in the precision the weights have
    values["bf16"] = bool(values.get("bf16")) and not values.get("use_cpu")
    # rlhf trainers read extra columns (rejected ids, labels, prompts) from the batch
    values["remove_unused_columns"] = False
    return values
