"""``TrainArguments`` for ``swift sft`` / ``swift pt``: base + tuners + transformers training."""

from typing import Literal

from swift.arguments._fields import arg, argclass
from swift.arguments.base import BaseArguments
from swift.arguments.hf_training import HfSeq2SeqTrainingArguments
from swift.arguments.tuners import TunerArguments

# transformers defaults swift replaces (the reference's "overridden defaults").
# tests/arguments/test_hf_mirror.py checks that these are the only differences.
HF_DEFAULT_OVERRIDES = {
    "gradient_checkpointing": True,
    "per_device_train_batch_size": 1,
    "per_device_eval_batch_size": 1,
    "logging_steps": 5,
    "learning_rate": None,
    "weight_decay": 0.1,
    "lr_scheduler_type": "cosine",
    "report_to": ["tensorboard"],
    "remove_unused_columns": False,
    "logging_first_step": True,
    "data_seed": 42,
}

FULL_LEARNING_RATE = 1e-5
TUNER_LEARNING_RATE = 1e-4


@argclass
class SwiftTrainingFields:
    """Swift training: options transformers does not have."""

    add_version: bool = arg(True, "Append `v<N>-<YYYYMMDD-HHMMSS>` to output_dir so runs never overwrite each other.")
    resume_only_model: bool = arg(False, "With --resume_from_checkpoint, restore only the weights.")
    check_model: bool = arg(True, "Check local model files for damage or modification.")
    loss_type: str | None = arg(None, "Loss function name (loss plugins); unset is cross-entropy.")
    packing: bool = arg(False, "Pack several samples into one row.")
    router_aux_loss_coef: float = arg(
        0.0, "MoE models: weight of the router load-balancing loss added to the training loss (0: none)."
    )
    loss_chunk_size: int = arg(
        2048,
        "Trained tokens per pass of the LM head when computing the loss, so the logits of the whole batch are "
        "never held; 0 uses the model's own loss.",
    )
    padding_free: bool = arg(
        False, "Concatenate each batch into one row without padding; attention never crosses samples (varlen)."
    )
    activation_offloading: bool = arg(
        False,
        "Keep what decoder layers save for backward in host memory (CUDA) instead of GPU memory; an offloaded "
        "layer is not recomputed (it leaves gradient checkpointing).",
    )
    activation_offloading_layers: int | None = arg(
        None, "With --activation_offloading: offload only the first N decoder layers; unset: all but the last."
    )
    lazy_tokenize: bool | None = arg(
        None, "Tokenize on the fly; unset means False for text models, True for multimodal."
    )
    acc_strategy: Literal["token", "sentence"] = arg("token", "Training accuracy per token or per sentence.")
    optimizer: str | None = arg(
        None, "Optimizer: lorap (LoRA+), galore (= --use_galore true) or any transformers optimizer name (--optim)."
    )
    metric: str | None = arg(
        None, "Evaluation metric: acc (default), or with --predict_with_generate rouge, bleu or nlg (both)."
    )
    callbacks: list[str] = arg([], "Callback names provided by plugins.")
    warmup_ratio: float | None = arg(None, "Warmup as a fraction of all steps (sets warmup_steps).")
    train_dataloader_shuffle: bool = arg(True, "Shuffle the training data loader.")


@argclass
class TrainArguments(SwiftTrainingFields, HfSeq2SeqTrainingArguments, TunerArguments, BaseArguments):
    """Arguments of ``swift sft`` (and, with other defaults, ``swift pt``)."""

    # transformers fields with swift's defaults
    output_dir: str | None = arg(None, "Output folder; unset means output/<model name> (plus a version).")
    gradient_checkpointing: bool | None = arg(True, "Recompute activations in backward to save memory.")
    per_device_train_batch_size: int = arg(1, "Training batch size per device.")
    per_device_eval_batch_size: int = arg(1, "Evaluation batch size per device.")
    logging_steps: float = arg(5, "Steps between logs.")
    learning_rate: float | None = arg(None, "Learning rate; unset means 1e-5 for full training, 1e-4 for tuners.")
    weight_decay: float = arg(0.1, "Weight decay.")
    lr_scheduler_type: str = arg("cosine", "Learning-rate schedule.")
    report_to: list[str] = arg(["tensorboard"], "Where to report metrics (tensorboard, wandb, swanlab …, all, none).")
    remove_unused_columns: bool = arg(False, "Drop dataset columns the model's forward does not take.")
    logging_first_step: bool = arg(True, "Log the first step too.")
    data_seed: int = arg(42, "Random seed for dataset shuffling and splitting.")
    # generation during evaluation (predict_with_generate)
    max_new_tokens: int | None = arg(64, "Maximum new tokens when evaluating with --predict_with_generate.")
    temperature: float | None = arg(0.0, "Temperature when evaluating with --predict_with_generate.")
    # training never reads a checkpoint's args.json unless asked
    load_args: bool = arg(False, "Fill unset arguments from the args.json of the checkpoint given.")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_tuner_arguments()
        if self.learning_rate is None:
            from swift.services.adapters import trains_full_weights

            self.learning_rate = FULL_LEARNING_RATE if trains_full_weights(self.train_type) else TUNER_LEARNING_RATE
        if self.use_liger:
            self.use_liger_kernel = True
        if self.optimizer == "galore":
            self.use_galore = True
        if self.val_dataset:
            # an explicit validation set replaces the split of the training set
            self.split_dataset_ratio = 0.0


SftArguments = TrainArguments


@argclass
class PretrainArguments(TrainArguments):
    """Arguments of ``swift pt``: plain text, loss on every token."""

    use_chat_template: bool = arg(False, "Use the chat template (True) or the plain generation template (False).")
    loss_scale: str = arg("all", "Per-token loss weighting; 'all' trains on every token.")
