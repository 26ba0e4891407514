"""Bodies of ``swift export`` and ``swift merge-lora``.

``swift export`` runs, in this order, the steps its flags ask for (as ms-swift does):

1. ``--merge_lora true`` — fold the adapters of ``--ckpt_dir``/``--adapters`` into the
   base model restored from the run's ``args.json``; saved to ``--output_dir``
   (default ``<checkpoint>-merged``), or to ``<checkpoint>-merged`` when a later step
   writes the final result.
2. ``--quant_method bnb|gptq|awq --quant_bits N`` — quantize the (merged) model into
   ``--output_dir`` (default ``<checkpoint>-<method>-int<bits>``). Adapters are merged
   first even without ``--merge_lora``: quantized weights cannot take them.
3. ``--push_to_hub true --hub_model_id owner/name`` — upload the result (or, alone,
   the checkpoint itself).

``--to_peft_format`` only says that swift's adapters already are PEFT checkpoints;
``--to_ollama`` is refused. ``swift merge-lora`` is ``swift export --merge_lora true``.
Heavy work happens in plugins, reached through the service seams
(:mod:`swift.services`: model loading, quantizer, hub upload) and the tuner family;
this module only sequences.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from swift.arguments.export import default_export_dir
from swift.kernel import UsageError
from swift.pipelines.merge import adapter_paths, ensure_writable, merge
from swift.services import get_quantizer, push_to_hub

if TYPE_CHECKING:
    from swift.arguments import ExportArguments


def merge_lora_main(args: ExportArguments) -> dict:
    """Run ``swift merge-lora`` for ``args`` (``ExportArguments``): export with ``merge_lora``."""
    args.merge_lora = True
    if args.output_dir is None:
        args.output_dir = default_export_dir(args)
    return export_main(args)


def export_main(args: ExportArguments) -> dict:
    """Run ``swift export`` for ``args`` (``ExportArguments``).

    Returns:
        ``{"output_dir": final folder or None, "merged_dir": …, "quantized_dir": …,
        "pushed": commit URL or None}``.

    Raises:
        UsageError: Nothing to do, a step's flags missing or inconsistent, a required
            library missing, or an output folder that would be overwritten.
    """
    result: dict[str, Any] = {
        "output_dir": None,
        "merged_dir": None,
        "quantized_dir": None,
        "pushed": None,
    }
    if not _check_request(args):
        return result
    quantizer = get_quantizer(args.quant_method) if args.quant_method else None
    if quantizer is not None:
        # fail before minutes of merging: wrong bits or a missing quantization library
        quantizer.check_quant_method(args.quant_method, args.quant_bits)
    if (args.merge_lora or quantizer is not None) and not args.output_dir:
        raise UsageError("no output folder: pass --output_dir (or --ckpt_dir to derive one).")
    if quantizer is not None:
        ensure_writable(args.output_dir, args.exist_ok)
    produced = None
    if args.merge_lora or (quantizer is not None and args.adapters):
        produced = result["merged_dir"] = _merge_step(args, final=quantizer is None)
    if quantizer is not None:
        produced = quantizer.quantize(args, produced or _model_source(args), args.output_dir)
        _record_args(args, produced)
        result["quantized_dir"] = produced
        print(f"swift export: quantized model saved to {produced}", file=sys.stderr)
    if args.push_to_hub:
        result["pushed"] = push_to_hub(
            produced or _push_source(args),
            args.hub_model_id,
            token=args.hub_token,
            private=args.hub_private_repo,
            commit_message=args.commit_message,
            use_hf=args.use_hf,
        )
    result["output_dir"] = produced
    return result


def _merge_step(args: ExportArguments, *, final: bool) -> str:
    if final:
        return merge(args, args.output_dir)
    # the merged weights are an intermediate: ms-swift keeps them next to the checkpoint
    if not args.merge_lora:
        print("swift export: merging the adapters before quantizing", file=sys.stderr)
    source = getattr(args, "ckpt_dir", None) or adapter_paths(args)[0]
    return merge(args, source.rstrip("/\\") + "-merged", reuse=True)


def _check_request(args: ExportArguments) -> bool:
    """Validate the combination of steps; False when there is nothing left to run."""
    if args.to_ollama:
        raise UsageError(
            "--to_ollama is not supported by this swift; export with --merge_lora "
            "true and convert the merged folder with llama.cpp / `ollama create`."
        )
    steps = args.merge_lora or args.quant_method or args.push_to_hub
    if args.to_peft_format:
        # ms-swift keeps the flag for compatibility: its old swift-format adapters needed it
        print(
            "swift export: adapters written by swift are already in PEFT format "
            "(adapter_config.json + adapter_model.safetensors); nothing to convert.",
            file=sys.stderr,
        )
        if not steps:
            return False
    if not steps:
        raise UsageError(
            "nothing to export: pass --merge_lora true, --quant_method gptq|awq|bnb with "
            "--quant_bits, or --push_to_hub true with --hub_model_id."
        )
    if args.push_to_hub and not args.hub_model_id:
        raise UsageError("--push_to_hub needs --hub_model_id owner/name (the hub repository).")
    return True


def _model_source(args: ExportArguments) -> str:
    if not args.model:
        raise UsageError("--quant_method needs a model: pass --model <id or folder> or --ckpt_dir.")
    return args.model  # a hub id is downloaded by the models plugin


def _push_source(args: ExportArguments) -> str:
    for candidate in (getattr(args, "ckpt_dir", None), *adapter_paths(args)[:1], args.model):
        if candidate and os.path.isdir(candidate):
            return candidate
    raise UsageError("--push_to_hub: nothing to upload; pass --ckpt_dir <folder>.")


def _record_args(args: ExportArguments, output_dir: str) -> None:
    from swift.arguments import save_args

    save_args(args, output_dir)
