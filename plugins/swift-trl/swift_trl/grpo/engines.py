"""The rollout engine of a GRPO run, chosen by ``--use_vllm`` / ``--vllm_mode``.

=========================================  ==========================================
flags                                      engine
=========================================  ==========================================
(default)                                  :class:`LocalEngine`: the ``pt`` engine
                                           generating with the policy being trained
``--use_vllm --vllm_mode server``          :class:`ServerEngine`: a ``swift rollout``
``--vllm_server_host H --vllm_server_port``  server over HTTP (``docs/rollout.md``)
``--use_vllm --vllm_mode colocate``        :class:`ColocatedEngine`: the ``vllm``
                                           engine plugin in this process
``--base_url URL``                         :class:`OpenAIServerEngine`: the ``openai``
                                           engine over any OpenAI-compatible server
                                           with vLLM's runtime LoRA API (``swift
                                           deploy``, ``vllm serve``); LoRA only
=========================================  ==========================================

Every one is an engine of the serving protocol (``infer``) plus ``sync_weights(model)``,
called after the policy changed and before the next round is sampled.
"""

from __future__ import annotations

import os
import shutil
from types import SimpleNamespace
from typing import Any, Protocol

from swift.contracts import load_engine
from swift.kernel import UsageError
from swift_trl.grpo.client import RolloutClient, server_api_key, server_url
from swift_trl.grpo.weights import changed_weights, push_policy


class RolloutEngine(Protocol):
    """What the GRPO trainer samples with."""

    def infer(self, requests: list, request_config: Any = None) -> list:
        """Answer requests (serving protocol)."""
        ...

    def sync_weights(self, model: Any) -> None:
        """Make the engine generate with the current weights of ``model``."""
        ...

    def close(self) -> None:
        """Release workers."""
        ...


class LocalEngine:
    """The ``pt`` engine (``registry("engines")``) over the policy itself: its weights are always current.

    Generation runs with the model in eval mode (no dropout, no activation
    checkpointing); the training mode is restored afterwards.
    """

    def __init__(self, args: Any, model: Any, tokenizer: Any, template: Any, batch_size: int):
        engine_cls = load_engine("pt")
        # the engine reads only these flags; the policy's adapter is already attached
        view = SimpleNamespace(
            model=args.model,
            template=args.template,
            adapters=[],
            train_type=args.train_type,
            max_batch_size=batch_size,
        )
        was_training = model.training
        self.model = model
        self.engine = engine_cls(view, model=model, tokenizer=tokenizer, template=template, max_batch_size=batch_size)
        model.train(was_training)

    def infer(self, requests: list, request_config: Any = None) -> list:
        """Generate with the policy's current weights (evaluation mode while generating)."""
        was_training = self.model.training
        self.model.eval()
        try:
            return self.engine.infer(requests, request_config)
        finally:
            self.model.train(was_training)

    def sync_weights(self, model: Any) -> None:
        """Nothing to do: the engine generates with ``model``'s own parameters."""

    def close(self) -> None:
        """Release the engine."""
        self.engine.close()


class ServerEngine:
    """A rollout server: sampling over HTTP, weights pushed after every update.

    Only the main process pushes; every process then waits for it, so no rank samples
    with stale weights.
    """

    def __init__(self, args: Any, tuner: Any):
        self.client = RolloutClient(server_url(args), timeout=args.vllm_server_timeout, api_key=server_api_key(args))
        self.tuner = tuner
        self.batches = getattr(args, "move_model_batches", None)

    def infer(self, requests: list, request_config: Any = None) -> list:
        """Generate on the rollout server."""
        return self.client.infer(requests, request_config)

    def sync_weights(self, model: Any) -> None:
        """Push the policy's changed weights to the server (from the main process), then wait for all ranks."""
        from swift_transformers import api as runs

        if runs.is_main_process():
            push_policy(self.client, model, self.tuner, self.batches)
        runs.barrier()

    def close(self) -> None:
        """Close the connection to the server."""
        self.client.close()


class ColocatedEngine:
    """An engine plugin (``vllm``) in this process; weights go in through its ``load_weights``.

    The engine class is built as ``cls(args)``; to take part in GRPO it must offer
    ``load_weights(named_tensors)`` (an iterable of ``(name, tensor)``) besides ``infer``.
    """

    def __init__(self, args: Any, name: str = "vllm"):
        engine_cls = load_engine(name)
        self.engine = engine_cls(args)
        if not callable(getattr(self.engine, "load_weights", None)):
            raise UsageError(
                f"engine {name!r} cannot receive weights (no load_weights): use "
                "--vllm_mode server, or leave --use_vllm off to sample with the pt engine"
            )

    def infer(self, requests: list, request_config: Any = None) -> list:
        """Generate with the engine."""
        return self.engine.infer(requests, request_config)

    def sync_weights(self, model: Any) -> None:
        """Apply the policy's changed weights to the engine."""
        self.engine.load_weights(changed_weights(model).items())

    def close(self) -> None:
        """Release the engine."""
        self.engine.close()


class OpenAIServerEngine:
    """An OpenAI-compatible server sampling through the ``openai`` engine; the policy's LoRA loaded into it.

    After each update the trained adapter is saved as a plain peft LoRA under the run folder
    (``rollout_adapters/policy-N``) and the server loads it as the model ``policy-N`` through
    vLLM's runtime LoRA API (``POST /v1/load_lora_adapter``: ``swift deploy`` with
    ``SWIFT_ALLOW_RUNTIME_LORA_UPDATING=1``, ``vllm serve`` with ``VLLM_ALLOW_RUNTIME_LORA_UPDATING=True``);
    requests then name it, and the previous one is unloaded. The server must read that folder
    (the same machine or shared storage). Before the first update the server's model is the
    policy (a new LoRA starts as the identity).
    """

    def __init__(self, args: Any, tuner: Any, run_dir: str):
        view = SimpleNamespace(
            base_url=args.base_url,
            api_key=getattr(args, "api_key", None),
            request_timeout=getattr(args, "request_timeout", 600.0),
            max_concurrency=getattr(args, "max_concurrency", 32),
            model=None,  # the server's own model (the trainer's --model is a local checkpoint)
        )
        self.engine = load_engine("openai")(view)
        self.tuner = tuner
        self.folder = os.path.join(run_dir, "rollout_adapters")
        self.version = 0
        self.adapter: str | None = None

    def infer(self, requests: list, request_config: Any = None) -> list:
        """Generate on the server with the latest policy adapter."""
        return self.engine.infer(requests, request_config, adapter=self.adapter)

    def sync_weights(self, model: Any) -> None:
        """Save the adapter, have the server load it under a new name, unload the old one (main process)."""
        from swift_transformers import api as runs

        self.version += 1
        name, previous = f"policy-{self.version}", self.adapter
        if runs.is_main_process():
            path = os.path.abspath(os.path.join(self.folder, name))
            self.tuner.save(model, path, selected_adapters=["default"])
            self.engine.load_lora_adapter(name, path)
            if previous is not None:
                self.engine.unload_lora_adapter(previous)
                shutil.rmtree(os.path.join(self.folder, previous), ignore_errors=True)
        runs.barrier()
        if not runs.is_main_process():
            self.engine.refresh()  # the main process loaded it
        self.adapter = name  # every rank now samples with the new adapter

    def close(self) -> None:
        """Close the connection to the server."""
        self.engine.close()


def build_engine(
    args: Any, model: Any, tokenizer: Any, template: Any, tuner: Any, batch_size: int, run_dir: str = "."
) -> RolloutEngine:
    """The engine ``args`` ask for (see the module docstring)."""
    if getattr(args, "base_url", None):
        return OpenAIServerEngine(args, tuner, run_dir)
    if not args.use_vllm:
        return LocalEngine(args, model, tokenizer, template, batch_size)
    if args.vllm_mode == "server":
        return ServerEngine(args, tuner)
    return ColocatedEngine(args)
