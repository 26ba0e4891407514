"""The trl config of each preference method, from ``RLHFArguments``.

=======  ==============  ===================================================
method   trl config      swift flags used
=======  ==============  ===================================================
dpo      ``DPOConfig``   beta (0.1), loss_type (sigmoid), rpo_alpha (1.0 →
                         an ``sft`` loss term of that weight), label_smoothing,
                         sync_ref_model / ref_model_sync_steps / ref_model_mixup_alpha
orpo     ``ORPOConfig``  beta (0.1, ORPO's λ)
simpo    ``CPOConfig``   loss_type simpo, beta (2.0), simpo_gamma (1.0), cpo_alpha (1.0)
cpo      ``CPOConfig``   loss_type (sigmoid), beta (0.1), cpo_alpha (1.0), label_smoothing
kto      ``KTOConfig``   loss_type (kto), beta (0.1), desirable_weight, undesirable_weight
=======  ==============  ===================================================

The transformers fields (batch size, steps, learning rate …) are mapped as for
``swift sft`` (:func:`swift_trl.run.config_values`). swift has already truncated
the encoded rows, so trl's own ``max_length`` truncation is switched off where
trl allows it.
"""

from __future__ import annotations

import logging
from typing import Any

from swift.kernel import UsageError
from swift_trl.run import config_values

logger = logging.getLogger("swift.rlhf")


def dpo_fields(args: Any) -> dict[str, Any]:
    """DPO: loss terms and their weights, β, smoothing, reference syncing."""
    loss_type = args.loss_type or "sigmoid"
    label_smoothing = args.label_smoothing
    if label_smoothing and loss_type == "sigmoid":
        # trl 1.x's sigmoid loss has no smoothing term; its robust loss is the DPO loss
        # with ε-noisy preference labels, the closest it offers to conservative DPO
        logger.warning(
            "--label_smoothing %s with the sigmoid DPO loss: training with trl's 'robust' loss "
            "(labels flipped with probability %s).",
            label_smoothing,
            label_smoothing,
        )
        loss_type = "robust"
    loss_types, weights = [loss_type], [1.0]
    if args.rpo_alpha:
        loss_types.append("sft")
        weights.append(float(args.rpo_alpha))
    return {
        "beta": args.beta,
        "loss_type": loss_types,
        "loss_weights": weights,
        "label_smoothing": label_smoothing,
        "max_length": None,
        "sync_ref_model": args.sync_ref_model,
        "ref_model_sync_steps": args.ref_model_sync_steps,
        "ref_model_mixup_alpha": args.ref_model_mixup_alpha,
    }


def cpo_fields(args: Any, loss_type: str, max_length: int) -> dict[str, Any]:
    """CPO and SimPO (both trl's ``CPOTrainer``)."""
    return {
        "beta": args.beta,
        "loss_type": loss_type,
        "cpo_alpha": args.cpo_alpha,
        "simpo_gamma": args.simpo_gamma,
        "label_smoothing": args.label_smoothing,
        "max_length": max_length,
    }


def kto_fields(args: Any) -> dict[str, Any]:
    """KTO: weights of desirable and undesirable answers."""
    loss_type = args.loss_type or "kto"
    if loss_type == "kto" and args.per_device_train_batch_size < 2:
        raise UsageError(
            "KTO estimates its KL term from the other rows of a batch: pass "
            "--per_device_train_batch_size 2 or more (or --loss_type apo_zero_unpaired)"
        )
    return {
        "beta": args.beta,
        "loss_type": loss_type,
        "desirable_weight": args.desirable_weight,
        "undesirable_weight": args.undesirable_weight,
        "max_length": None,
        # the KL pairs are built from neighbouring rows, so the order is fixed (rows
        # were shuffled once when encoded)
        "train_sampling_strategy": "sequential",
        "sync_ref_model": args.sync_ref_model,
        "ref_model_sync_steps": args.ref_model_sync_steps,
        "ref_model_mixup_alpha": args.ref_model_mixup_alpha,
    }


def build_config(method: str, args: Any, run_dir: str, *, has_eval: bool, model: Any) -> Any:
    """The trl config object of ``method`` for this run."""
    max_length = args.max_length or getattr(model.config, "max_position_embeddings", None) or 2048
    if method == "dpo":
        from trl import DPOConfig as config_cls

        method_fields = dpo_fields(args)
    elif method == "kto":
        from trl import KTOConfig as config_cls

        method_fields = kto_fields(args)
    elif method in ("cpo", "simpo"):
        from trl.experimental.cpo import CPOConfig as config_cls

        loss_type = "simpo" if method == "simpo" else (args.loss_type or "sigmoid")
        method_fields = cpo_fields(args, loss_type, max_length)
    elif method == "orpo":
        from trl.experimental.orpo import ORPOConfig as config_cls

        method_fields = {"beta": args.beta, "max_length": max_length}
    else:
        raise UsageError(f"{method!r} is not a preference method of swift-trl")
    values = config_values(args, run_dir, config_cls, has_eval=has_eval, model_dtype=getattr(model, "dtype", None))
    values.update(method_fields)
    return config_cls(**values)
