"""Tuner conformance: prepare, one training step, save → load with identical logits, merge."""

from __future__ import annotations

import os
from typing import Any

from swift.contracts.loaders import check_tuner as check_tuner_contract
from swift.kernel import PluginLoadError, load_object
from swift_sdk.conformance.arguments import command_args
from swift_sdk.conformance.errors import fail
from swift_sdk.conformance.plugin import PluginUnderTest
from swift_sdk.conformance.tiny_cache import scratch_dir, tiny_model_dir

# Float32 on CPU: a faithful save/load reproduces the logits to rounding noise.
LOGITS_ATOL = 1e-4


def _base_model(model_dir: str) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)


def _logits(model: Any, ids: Any) -> Any:
    import torch

    model.eval()
    with torch.no_grad():
        return model(input_ids=ids).logits.float()


def _step(problem: Any, what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    # An exception inside the tuner is reported as a broken contract, naming the step.
    try:
        return call(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - reported to the author
        raise problem(f"{what} raised {type(exc).__name__}: {exc}") from exc


def check_tuner(plugin: PluginUnderTest, name: str, model_dir: str | None = None, *, args: Any = None) -> None:
    """Train one step with the tuner ``name`` on a tiny model and round-trip it through disk.

    Checks, in order: ``prepare`` leaves some (and, unless the record says ``full``, not
    all) parameters trainable; one optimizer step changes them and the model's logits;
    ``save`` writes files; ``load`` of those files into a fresh base model reproduces the
    trained logits; ``merge`` (when ``mergeable``) keeps them.

    Args:
        plugin: From :func:`~swift_sdk.conformance.load_plugin`.
        name: The ``--train_type``.
        model_dir: A saved causal LM; default a tiny Qwen3 built offline.
        args: The arguments ``prepare`` gets; default ``swift sft --train_type name``'s.

    Raises:
        ConformanceError: Naming the tuner and the step that went wrong.
    """
    import torch

    record = plugin.record("tuners", name)
    model_dir = model_dir or tiny_model_dir()

    def problem(text: str) -> Exception:
        return fail(plugin.label, text, family="tuners", record=name)

    if args is None:
        args = command_args(plugin, "sft", ["--model", model_dir, "--train_type", name])
    with plugin.active():
        tuner = load_object(record.load, what=f"tuner {name!r}")
        try:
            check_tuner_contract(tuner, f"the object {record.load}", mergeable=record.mergeable)
        except PluginLoadError as exc:
            raise problem(str(exc)) from None
        torch.manual_seed(0)
        ids = torch.randint(5, 200, (2, 12), generator=torch.Generator().manual_seed(0))
        base_logits = _logits(_base_model(model_dir), ids)
        model = _step(
            problem, "prepare(model, args, total_steps=10)", tuner.prepare, _base_model(model_dir), args, total_steps=10
        )
        params = dict(model.named_parameters())
        trainable = {n: p for n, p in params.items() if p.requires_grad}
        if not trainable:
            raise problem("prepare() left no parameter trainable")
        if not record.full and len(trainable) == len(params):
            raise problem("prepare() made every parameter trainable; set full=True on the record if meant")
        before = {n: p.detach().clone() for n, p in trainable.items()}
        model.train()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.optim.AdamW(list(trainable.values()), lr=1e-2).step()
        if all(torch.equal(before[n], p.detach()) for n, p in trainable.items()):
            raise problem("one optimizer step changed no trainable parameter: no gradient reaches them")
        trained_logits = _logits(model, ids)
        if torch.allclose(trained_logits, base_logits, atol=1e-6):
            raise problem("one training step did not change the model's outputs")
        out = scratch_dir("tuner-")
        _step(problem, "save(model, output_dir)", tuner.save, model, out)
        if not os.listdir(out):
            raise problem(f"save(model, {out!r}) wrote no file")
        torch.manual_seed(1)  # a load() that initialises afresh instead of reading gets other weights
        loaded = _step(problem, "load(base_model, saved_dir)", tuner.load, _base_model(model_dir), out)
        loaded_logits = _logits(loaded, ids)
        diff = (loaded_logits - trained_logits).abs().max().item()
        if diff > LOGITS_ATOL:
            like_base = (loaded_logits - base_logits).abs().max().item() <= LOGITS_ATOL
            hint = " (the loaded model answers like the untrained base model)" if like_base else ""
            raise problem(
                "after save() and load() into a fresh base model the logits differ "
                "from the trained "
                f"model's by up to {diff:.3g}{hint}: save() or load() loses weights"
            )
        if record.mergeable:
            merged_logits = _logits(_step(problem, "merge(model)", tuner.merge, loaded), ids)
            diff = (merged_logits - trained_logits).abs().max().item()
            if diff > LOGITS_ATOL:
                raise problem(f"merge() changes the logits by up to {diff:.3g}")
