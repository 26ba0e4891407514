"""The flags swift-transformers owns, checked before any work (``swift_check_args``).

Light: no torch, no transformers — only path checks and record lookups — so a
usage error is reported within a second of starting, before a model loads and
before a run folder exists.
"""

from __future__ import annotations

import importlib.util
import os
from typing import TYPE_CHECKING

from swift.arguments.hf_training import TRANSFORMERS_OPTIMIZERS
from swift.kernel import UsageError, registry

if TYPE_CHECKING:
    from swift.arguments import TrainArguments

TRAINING = ("pt", "sft", "rlhf")
METRICS = ("acc", "nlg", "rouge", "bleu")
OPTIMIZERS = ("lorap", "galore", *TRANSFORMERS_OPTIMIZERS)
# Q-GaLore's settings and their defaults: this trainer runs transformers' GaLore, not Q-GaLore
_QGALORE_DEFAULTS = {
    "galore_quantization": False,
    "galore_proj_quant": False,
    "galore_proj_bits": 4,
    "galore_proj_group_size": 256,
    "galore_cos_threshold": 0.4,
    "galore_gamma_proj": 2,
    "galore_queue_size": 5,
}
# TorchAcc (Alibaba's XLA fork) flags: accepted for compatibility, nothing reads them
_TORCHACC_DEFAULTS = {"model_layer_cls_name": None, "metric_warmup_step": 0, "fsdp_num": 1, "acc_steps": 1}


def check_args(command: str, args: TrainArguments) -> None:
    """Everything this plugin can check about ``args`` without loading anything."""
    check_model_flag(args)
    check_dataset_flags(args)
    if command in TRAINING:
        registry("tuners").get(args.train_type)  # every swift-transformers run prepares a tuner
        check_supported(args)
        check_classification(command, args)
        check_liger(args)
        check_offloading(args)
        check_checkpointing_kwargs(args)
        check_optimizer(args)
        check_metric(args)
        check_lisa(args)
    elif getattr(args, "task_type", None) == "seq_cls" and getattr(args, "infer_backend", "pt") != "pt":
        raise UsageError(
            f"--infer_backend {args.infer_backend}: a sequence classifier (--task_type seq_cls) is served by the pt "
            "engine only, which answers with its label probabilities"
        )


def check_model_flag(args: TrainArguments) -> None:
    """``--model`` is an existing folder or something that can be a hub id."""
    from swift_transformers.models.resolve import check_local_model

    model = getattr(args, "model", None)
    if model:
        check_quantization_flags(args)
        local = check_local_model(os.fspath(model))
        if local:
            check_vision_flags(args, local)
            check_chat_template(args, local)
            if getattr(args, "task_type", None) == "seq_cls":
                from swift_transformers.models.tasks import classification_task

                classification_task(args, local)  # --num_labels, or a checkpoint that has a head


_BNB_DEFAULTS = {
    "bnb_4bit_compute_dtype": None,
    "bnb_4bit_quant_type": "nf4",
    "bnb_4bit_use_double_quant": True,
    "bnb_4bit_quant_storage": None,
}


def check_quantization_flags(args: TrainArguments) -> None:
    """A method's settings need that method: ``--bnb_4bit_*`` with bnb 4-bit, ``--hqq_axis`` with hqq."""
    method, bits = getattr(args, "quant_method", None), getattr(args, "quant_bits", None)
    bnb = [k for k, v in _BNB_DEFAULTS.items() if getattr(args, k, v) != v]
    if bnb and (method, bits) != ("bnb", 4):
        raise UsageError(f"--{', --'.join(bnb)} only apply to --quant_method bnb --quant_bits 4")
    if getattr(args, "hqq_axis", None) is not None and method != "hqq":
        raise UsageError("--hqq_axis only applies to --quant_method hqq")
    if method == "fp8":
        check_fp8(args)


# what reads or rewrites the base weights, which --quant_method fp8 keeps quantized and frozen
_FP8_INITS = ("pissa", "olora", "loftq", "corda", "eva")


def check_fp8(args: TrainArguments) -> None:
    """``--quant_method fp8``: 8 bits, the pt engine, and in training LoRA over a frozen base."""
    if getattr(args, "quant_bits", None) not in (None, 8):
        raise UsageError(f"--quant_method fp8 stores 8 bits only, got --quant_bits {args.quant_bits}")
    backend = getattr(args, "infer_backend", None)
    if backend not in (None, "pt"):
        raise UsageError(f"--quant_method fp8 applies to the pt engine and training; --infer_backend {backend} "
                         "loads the model itself")  # fmt: skip
    if not hasattr(args, "train_type"):
        return
    if args.train_type != "lora":
        raise UsageError(
            f"--quant_method fp8 keeps the base weights frozen in FP8: train LoRA over them (--train_type lora), "
            f"not {args.train_type}"
        )
    init = str(getattr(args, "init_lora_weights", True)).lower()
    if getattr(args, "use_dora", False) or init.startswith(_FP8_INITS):
        what = "--use_dora" if getattr(args, "use_dora", False) else f"--init_lora_weights {args.init_lora_weights}"
        raise UsageError(f"{what} reads the base weights, which --quant_method fp8 stores quantized")
    refuse_sharding(args, "--quant_method fp8", "which shards plain weights")
    if getattr(args, "use_vllm", False):
        raise UsageError(
            "--quant_method fp8 with --use_vllm: vLLM is handed the policy's weights, which fp8 keeps quantized"
        )


def check_vision_flags(args: TrainArguments, local: str) -> None:
    """Flags about images need a vision-language model; what vision models cannot do yet is refused.

    ``--max_pixels`` and the ``--freeze_*`` flags change nothing for a text model, so they
    are refused there. For vision models: ``--packing`` is refused, ``--padding_free`` outside
    the Qwen-VL/GLM-4.1V families too, and the training, serving and export paths that would
    drop the images.
    """
    from swift.services.detect import select_model_record
    from swift_transformers.vision.catalog import VISION_TAG

    try:
        record = select_model_record(local, model=getattr(args, "model", None), model_type=args.model_type)
    except UsageError:
        return  # an unknown --model_type is reported by the model checks
    vision = VISION_TAG in record.tags
    if not vision:
        if getattr(args, "max_pixels", None) is not None:
            raise UsageError(f"--max_pixels bounds images; model type {record.name!r} is a text model: drop it")
        changed = [f for f, default in _FREEZE_DEFAULTS.items() if getattr(args, f, default) != default]
        if changed:
            raise UsageError(
                f"--{', --'.join(changed)} choose which parts of a vision-language model train; "
                f"model type {record.name!r} is a text model: drop {'it' if len(changed) == 1 else 'them'}"
            )
        return
    from swift_transformers.vision.processors import PADDING_FREE_FAMILIES

    if "audio" in record.tags and getattr(args, "max_pixels", None) is not None:
        raise UsageError(f"--max_pixels bounds images; model type {record.name!r} reads audio: drop it")

    if getattr(args, "packing", False) and record.name not in PADDING_FREE_FAMILIES:
        raise UsageError(
            f"--packing: model type {record.name!r} is a vision-language model whose image attention or "
            f"positions a packed row does not keep yet (it works for {', '.join(sorted(PADDING_FREE_FAMILIES))})"
        )
    if getattr(args, "padding_free", False) and getattr(args, "rlhf_type", None) in PREFERENCE_METHODS:
        raise UsageError(
            f"--padding_free: swift rlhf --rlhf_type {args.rlhf_type} on a vision-language model keeps padded pairs "
            "(the images' positions are not unpadded yet); drop --padding_free"
        )
    if getattr(args, "padding_free", False) and record.name not in PADDING_FREE_FAMILIES:
        raise UsageError(
            f"--padding_free: model type {record.name!r} is a vision-language model whose image attention or "
            f"positions a padding-free row does not keep yet (it works for {', '.join(sorted(PADDING_FREE_FAMILIES))})"
        )
    if getattr(args, "predict_with_generate", False):
        raise UsageError(
            f"--predict_with_generate: model type {record.name!r} is a vision-language model; evaluation by "
            "generation does not pass the images yet (use swift infer --val_dataset on a checkpoint)"
        )
    rlhf = getattr(args, "rlhf_type", None)
    if rlhf and rlhf not in (*PREFERENCE_METHODS, "grpo"):
        raise UsageError(
            f"swift rlhf --rlhf_type {rlhf}: model type {record.name!r} is a vision-language model; of the "
            f"preference and RL methods only {', '.join(PREFERENCE_METHODS)} and grpo train on images so far"
        )
    if rlhf == "grpo":
        for flag, on in (
            ("base_url", bool(getattr(args, "base_url", None))),
            ("multi_turn_scheduler", bool(getattr(args, "multi_turn_scheduler", None))),
            ("padding_free", getattr(args, "padding_free", False)),
        ):
            if on:
                raise UsageError(
                    f"--{flag}: GRPO on vision-language model type {record.name!r} samples single-turn rollouts "
                    "with the pt engine, vLLM in this process (--use_vllm) or a swift rollout server (--vllm_mode "
                    "server) so far; an OpenAI-compatible server and multi-turn image rollouts are not built"
                )
    method = getattr(args, "quant_method", None)
    if method in ("gptq", "awq") and hasattr(args, "quant_n_samples"):  # swift export's calibrated methods
        raise UsageError(
            f"--quant_method {method}: model type {record.name!r} is a vision-language model; its calibration "
            "would run on text only and quantize the vision tower too — use --quant_method bnb"
        )
    backend = getattr(args, "infer_backend", "pt")
    if backend not in MEDIA_BACKENDS:
        raise UsageError(
            f"--infer_backend {backend}: model type {record.name!r} is a vision-language model, which only the "
            f"{' and '.join(MEDIA_BACKENDS)} backends serve with images so far"
        )


#: The preference methods whose trainers pass a vision row's media to every forward
PREFERENCE_METHODS = ("dpo", "kto", "cpo", "simpo", "orpo")

#: The engines that take images/audio: pt encodes them itself, vllm gets them decoded
#: (``encode_prompt_media``) and runs the model's processor
MEDIA_BACKENDS = ("pt", "vllm")


_FREEZE_DEFAULTS = {"freeze_llm": False, "freeze_vit": True, "freeze_aligner": True}


def check_chat_template(args: TrainArguments, local: str) -> None:
    """A checkpoint whose template is its own chat template must have one, or ``--template``.

    That is the template of the generic model type (unknown families) and of the newest
    families (``chat_template``); without one, the run stops here, before loading.
    """
    from swift.services.detect import checkpoint_info, rank_records
    from swift.template.loading import OWN_CHAT_TEMPLATE, no_chat_template_message
    from swift_transformers.models.resolve import has_chat_template

    if args.template or not getattr(args, "use_chat_template", False):
        return
    if getattr(args, "model_type", None):
        template = registry("models").get(args.model_type).template
    else:
        ranked = rank_records(registry("models").records(), checkpoint_info(os.fspath(args.model), local))
        template = ranked[0][1].template if ranked else OWN_CHAT_TEMPLATE
    if template == OWN_CHAT_TEMPLATE and not has_chat_template(local):
        raise UsageError(no_chat_template_message(os.fspath(args.model)))


def check_dataset_flags(args: TrainArguments) -> None:
    """Every ``--dataset``/``--val_dataset`` entry parses, and local paths exist."""
    from swift_transformers.data.spec import looks_like_path, parse_dataset_spec

    custom = bool(getattr(args, "custom_dataset_info", None))  # may give a path-like name meaning
    for flag in ("dataset", "val_dataset"):
        for raw in getattr(args, flag, None) or ():
            spec = parse_dataset_spec(str(raw))
            if not spec.is_path and not custom and looks_like_path(spec.name):
                raise UsageError(f"dataset file or folder not found: {spec.name} (--{flag} {raw})")


def check_supported(args: TrainArguments) -> None:
    """Refuse flags this trainer cannot honour, instead of training as if they were absent."""
    if getattr(args, "padding_free", False) and getattr(args, "predict_with_generate", False):
        raise UsageError("--predict_with_generate cannot split a padding-free row into prompts; drop --padding_free")
    check_sequence_parallel(args)
    if getattr(args, "push_to_hub", False):
        from swift_transformers import hub

        if hub.on_modelscope(args):
            raise UsageError(
                "--push_to_hub during training pushes to Hugging Face (transformers' Trainer), and this run's hub is "
                "ModelScope: pass --use_hf true for Hugging Face, or push the finished run to ModelScope with "
                "`swift export --ckpt_dir <checkpoint> --push_to_hub true --hub_model_id owner/name`"
            )
    qgalore = [k for k, v in _QGALORE_DEFAULTS.items() if getattr(args, k, v) != v]
    if qgalore:
        raise UsageError(
            f"--{', --'.join(qgalore)}: Q-GaLore is not supported by this trainer (it runs transformers' GaLore "
            "optimizers); leave these at their defaults"
        )
    if getattr(args, "use_galore", False) and importlib.util.find_spec("galore_torch") is None:
        raise UsageError("--use_galore needs the GaLore optimizers: pip install galore-torch")
    if getattr(args, "galore_with_embedding", False):
        raise UsageError("--galore_with_embedding is not supported: GaLore applies to linear layers")
    changed = [k for k, v in _TORCHACC_DEFAULTS.items() if getattr(args, k, v) != v]
    if changed:
        raise UsageError(
            f"--{', --'.join(changed)}: TorchAcc (Alibaba's XLA training backend) is not supported; "
            "leave these at their defaults"
        )


def refuse_flags(args: TrainArguments, refused: dict[str, str], mode: str) -> None:
    """Stop at the first flag of ``refused`` (flag → why) that ``args`` sets; ``mode`` names what excludes it."""
    for flag, why in refused.items():
        if getattr(args, flag, None):
            raise UsageError(f"--{flag} cannot be used with {mode}: {why}")


def check_classification(command: str, args: TrainArguments) -> None:
    """``--task_type seq_cls`` trains with ``swift sft``; the flags that only mean something for text are refused."""
    if getattr(args, "task_type", None) != "seq_cls":
        return
    if command != "sft":
        raise UsageError(
            f"--task_type seq_cls / --num_labels: classification trains with swift sft, not swift {command}"
        )
    refused = {
        "packing": "a classifier reads one conversation per row",
        "padding_free": "a classifier reads one conversation per row",
        "predict_with_generate": "a classifier generates no text",
        "loss_type": "the loss follows --problem_type (cross-entropy, BCE or MSE)",
        "use_liger": "liger's fused loss is the language-model head's",
    }
    refuse_flags(args, refused, "--task_type seq_cls")
    if getattr(args, "loss_scale", "default") not in ("default", None):
        raise UsageError("--loss_scale weighs reply tokens; a classifier has one label per row (--task_type seq_cls)")
    metric = getattr(args, "metric", None)
    if metric not in (None, "acc"):
        raise UsageError(f"--metric {metric}: a classifier reports acc and f1 (mse/mae for regression); drop --metric")


def check_sequence_parallel(args: TrainArguments) -> None:
    """``--sequence_parallel_size N``: N torchrun ranks share each padding-free row of ``swift sft``/``pt``."""
    size = getattr(args, "sequence_parallel_size", 1)
    if size <= 1:
        return
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world < size or world % size:
        raise UsageError(
            f"--sequence_parallel_size {size} needs a multiple of {size} processes: launch with "
            f"NPROC_PER_NODE={size} (or {2 * size}, {3 * size} … for data-parallel groups of {size}; "
            f"this run has {world})"
        )
    if world > size and getattr(args, "streaming", False):
        raise UsageError(
            f"--sequence_parallel_size {size} with {world} processes: the {world // size} data-parallel groups "
            f"split a map-style dataset, not a --streaming one (launch exactly {size} processes to stream)"
        )
    refused = {
        "rlhf_type": "swift rlhf pads its pairs and rollouts",
        "predict_with_generate": "generation runs on one rank",
        "num_labels": "a classifier reads the last token of a whole conversation",
        "loss_type": "the loss of a split row is the token cross-entropy",
    }
    refuse_flags(args, refused, "--sequence_parallel_size")
    if (
        getattr(args, "loss_scale", "default") not in ("default", "all", None)
        or getattr(args, "acc_strategy", "token") != "token"
    ):
        raise UsageError(
            "--sequence_parallel_size trains every reply token alike: no --loss_scale weights, token accuracy"
        )


def gpu_visible() -> bool:
    """Whether a CUDA or ROCm device is visible, without importing torch (device nodes)."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    return any(os.path.exists(p) for p in ("/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd"))


def check_liger(args: TrainArguments) -> None:
    """``--use_liger``: liger-kernel's Triton kernels need the package and a GPU."""
    if not (getattr(args, "use_liger", False) or getattr(args, "use_liger_kernel", False)):
        return
    if importlib.util.find_spec("liger_kernel") is None:
        raise UsageError("--use_liger needs liger-kernel: pip install liger-kernel (its kernels run on a GPU)")
    if not gpu_visible():
        raise UsageError("--use_liger: liger-kernel's Triton kernels need a CUDA or ROCm GPU, and none is visible")


def refuse_sharding(args: TrainArguments, flag: str, why: str) -> None:
    """``flag`` cannot run under ``--deepspeed`` or ``--fsdp``, ``why``."""
    for engine in ("deepspeed", "fsdp"):
        if getattr(args, engine, None):
            raise UsageError(f"{flag} cannot be combined with --{engine}, {why}")


def check_offloading(args: TrainArguments) -> None:
    """``--activation_offloading``: a CUDA GPU, swift's own trainer memory (no DeepSpeed/FSDP), no compile."""
    layers = getattr(args, "activation_offloading_layers", None)
    if not getattr(args, "activation_offloading", False):
        if layers is not None:
            raise UsageError("--activation_offloading_layers is set but --activation_offloading is not: add it")
        return
    if layers is not None and layers < 1:
        raise UsageError(f"--activation_offloading_layers {layers}: give 1 or more layers (unset: all but the last)")
    refuse_sharding(args, "--activation_offloading", "which manages memory itself")
    if any(getattr(args, f, None) for f in ("torch_compile", "torch_compile_backend", "torch_compile_mode")):
        raise UsageError("--activation_offloading hooks the layers' saved tensors, which --torch_compile cannot trace")
    if not gpu_visible():
        raise UsageError(
            "--activation_offloading moves activations from GPU memory to host memory, and no GPU is visible"
        )


# what torch.utils.checkpoint.checkpoint takes from JSON (context_fn is a callable)
_CHECKPOINT_OPTIONS = ("use_reentrant", "preserve_rng_state", "determinism_check", "debug", "early_stop")
# what transformers' activation_checkpointing_enable takes out of the dict first, where it has them
_TRANSFORMERS_CHECKPOINT_OPTIONS = ("every_n_layers", "offload")


def transformers_checkpoint_options() -> tuple[str, ...]:
    """The options of ``--gradient_checkpointing_kwargs`` the installed transformers reads itself.

    Read from its source rather than imported: a usage check must not import torch (seconds).
    """
    spec = importlib.util.find_spec("transformers")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        source = os.path.join(folder, "modeling_utils.py")
        if os.path.exists(source):
            with open(source, encoding="utf-8") as fh:
                text = fh.read()
            return tuple(o for o in _TRANSFORMERS_CHECKPOINT_OPTIONS if f"{o}:" in text or f"{o}=" in text)
    return ()


def check_checkpointing_kwargs(args: TrainArguments) -> None:
    """``--gradient_checkpointing_kwargs``: known options only, and only with checkpointing on."""
    from swift.kernel.errors import closest

    options = getattr(args, "gradient_checkpointing_kwargs", None)
    if not options:
        return
    if not isinstance(options, dict):
        raise UsageError(f"--gradient_checkpointing_kwargs {options!r}: give a JSON object")
    if not getattr(args, "gradient_checkpointing", True):
        raise UsageError("--gradient_checkpointing_kwargs has no effect with --gradient_checkpointing false")
    ours = transformers_checkpoint_options()
    known = (*_CHECKPOINT_OPTIONS, *ours)
    for key in options:
        if key not in known:
            hint = closest(key, known)
            older = " (this transformers is too old for it)" if key in _TRANSFORMERS_CHECKPOINT_OPTIONS else ""
            raise UsageError(
                f"--gradient_checkpointing_kwargs: unknown option {key!r}{older}; known: {', '.join(known)}"
                + (f" (did you mean {hint!r}?)" if hint and not older else "")
            )
    every = options.get("every_n_layers", 1)
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise UsageError(f"--gradient_checkpointing_kwargs: every_n_layers must be a whole number ≥ 1, not {every!r}")
    if options.get("offload") and not gpu_visible():
        raise UsageError(
            "--gradient_checkpointing_kwargs: offload keeps the checkpointed layers' inputs in pinned host memory, "
            "which needs a GPU, and none is visible"
        )


def check_optimizer(args: TrainArguments) -> None:
    """``--optimizer``: only ``lorap`` (LoRA+ groups, with ``--lorap_lr_ratio``)."""
    optimizer = getattr(args, "optimizer", None)
    if optimizer not in (None, *OPTIMIZERS):
        from swift.kernel.errors import closest

        guess = closest(optimizer, OPTIMIZERS)
        hint = f" Did you mean {guess!r}?" if guess else ""
        raise UsageError(
            f"--optimizer {optimizer!r} is not available; choose lorap (with --lorap_lr_ratio), galore, or a "
            f"transformers optimizer ({', '.join(TRANSFORMERS_OPTIMIZERS[:6])} …).{hint}"
        )
    if optimizer == "lorap" and not getattr(args, "lorap_lr_ratio", None):
        raise UsageError("--optimizer lorap needs --lorap_lr_ratio (10 to 16 is typical)")


def check_metric(args: TrainArguments) -> None:
    """``--metric``: ``acc``, or ``nlg`` with ``--predict_with_generate``."""
    metric = getattr(args, "metric", None)
    if metric is None:
        return
    if metric not in METRICS:
        raise UsageError(f"--metric {metric!r} is not available; choose {', '.join(METRICS)}")
    if metric != "acc" and not getattr(args, "predict_with_generate", False):
        raise UsageError(f"--metric {metric} compares generated text: add --predict_with_generate true")


def check_lisa(args: TrainArguments) -> None:
    """LISA trains base layers, so it needs a tuner whose record says ``full``."""
    if getattr(args, "lisa_activated_layers", 0) and not registry("tuners").get(args.train_type).full:
        raise UsageError("LISA (--lisa_activated_layers) trains base layers: use --train_type full")
