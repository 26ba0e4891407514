"""``--activation_offloading``: what decoder layers save for backward waits in host memory.

Between a layer's forward and its backward, the tensors autograd saves for it (inputs of the
linear layers, attention outputs, MLP activations …) occupy GPU memory. Gradient checkpointing
drops them and recomputes the layer in backward (a third more compute for LoRA); offloading
instead copies them to pinned host memory while the next layers compute, and copies them back
while the backward of the layers after them runs — no recompute, and GPU memory of about one layer's
activations in flight.

An offloaded layer is therefore *not* recomputed: it is taken out of gradient checkpointing. With
``--activation_offloading_layers K`` the first K layers are offloaded and the rest keep the
``--gradient_checkpointing`` setting — the memory/speed trade-off of a run is then tuned
layer by layer (the first layers' copies have the most time to finish: their backward comes
last). The last layer is never offloaded: its backward starts right after the forward, so its
activations would come straight back.

How (``torch.autograd.graph.saved_tensors_hooks`` entered around each offloaded layer):

* pack: a saved CUDA tensor of at least ``min_bytes`` that is not (a view of) a parameter is
  copied to pinned host memory on a side stream (``non_blocking``) and the GPU block is released
  to the caching allocator once that copy has run (``record_stream``). A tensor saved several
  times in one layer (the input of q/k/v) is copied once.
* prefetch: when the gradient reaches layer *i*'s output (its backward begins), the tensors of
  layer *i − 1* start coming back on another side stream, so they are on the GPU when layer *i − 1*'s
  backward unpacks them; an unpack that finds no prefetched copy fetches synchronously.

The copying is a :class:`Transfer`: :class:`CudaTransfer` on a GPU; the tests drive the same
bookkeeping on CPU with a copying transfer.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import torch
from transformers import TrainerCallback

MIN_BYTES = 1 << 20  # smaller tensors (LoRA's rank-r activations, norms' statistics) are not worth a copy


class Transfer(Protocol):
    """Moves a saved tensor to host memory and back; events order the copies."""

    def moves(self, tensor: torch.Tensor) -> bool:
        """Whether ``tensor`` lives on the device this transfer offloads from."""

    def to_host(self, tensor: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """Start copying ``tensor`` out; ``(host copy, event marking its end)``."""

    def to_device(self, host: torch.Tensor, done: Any, device: torch.device) -> tuple[torch.Tensor, Any]:
        """Start copying ``host`` back once ``done`` has passed; ``(device copy, event marking its end)``."""

    def use(self, tensor: torch.Tensor, ready: Any) -> torch.Tensor:
        """``tensor`` made safe to read on the compute stream (waits for ``ready``)."""


def _dense(tensor: torch.Tensor) -> bool:
    """Whether ``tensor`` covers exactly ``numel`` elements of its storage in some order (no gaps, no overlaps).

    Such a tensor is copied with its strides as they are (one flat copy), so the restored tensor
    is laid out exactly as the original — kernels whose backward expects a layout keep it.
    """
    if tensor.is_contiguous():
        return True
    dims = sorted((s, n) for s, n in zip(tensor.stride(), tensor.shape) if n != 1)
    expected = 1
    for stride, size in dims:
        if stride != expected:
            return False
        expected *= size
    return True


class CudaTransfer:
    """Side streams and pinned host memory: copies overlap the compute stream."""

    def __init__(self):
        self.out_stream = torch.cuda.Stream()
        self.in_stream = torch.cuda.Stream()

    def moves(self, tensor: torch.Tensor) -> bool:  # noqa: D102
        return tensor.is_cuda

    def to_host(self, tensor: torch.Tensor) -> tuple[torch.Tensor, Any]:  # noqa: D102
        # the pinned allocator caches blocks and knows when a copy still reads one
        host = torch.empty_strided(tensor.shape, tensor.stride(), dtype=tensor.dtype, pin_memory=True)
        self.out_stream.wait_stream(torch.cuda.current_stream())  # the tensor is written by then
        with torch.cuda.stream(self.out_stream):
            host.copy_(tensor, non_blocking=True)
            done = torch.cuda.Event()
            done.record()
        tensor.record_stream(self.out_stream)  # its block is reused only after the copy ran
        return host, done

    def to_device(self, host: torch.Tensor, done: Any, device: torch.device) -> tuple[torch.Tensor, Any]:  # noqa: D102
        with torch.cuda.stream(self.in_stream):
            self.in_stream.wait_event(done)
            tensor = torch.empty_strided(host.shape, host.stride(), dtype=host.dtype, device=device)
            tensor.copy_(host, non_blocking=True)
            ready = torch.cuda.Event()
            ready.record()
        return tensor, ready

    def use(self, tensor: torch.Tensor, ready: Any) -> torch.Tensor:  # noqa: D102
        stream = torch.cuda.current_stream()
        stream.wait_event(ready)
        tensor.record_stream(stream)  # allocated on the side stream, freed after the compute stream used it
        return tensor


class _Saved:
    """One offloaded tensor: its host copy, and its device copy once fetched back."""

    __slots__ = ("host", "done", "device", "tensor", "ready", "__weakref__")

    def __init__(self, host: torch.Tensor, done: Any, device: torch.device):
        self.host, self.done, self.device = host, done, device
        self.tensor: torch.Tensor | None = None
        self.ready: Any = None


class ActivationOffloader:
    """Offloads the saved tensors of ``layers[:count]`` (see the module docstring).

    Args:
        layers: The decoder layers, in forward order.
        count: How many of the first layers to offload (at most ``len(layers) - 1``).
        params: The model's parameters and buffers: tensors sharing their storage stay where they are.
        transfer: The copying (:class:`CudaTransfer` by default).
        min_bytes: Smaller saved tensors stay where they are.
    """

    def __init__(
        self,
        layers: Sequence[torch.nn.Module],
        count: int,
        params: Sequence[torch.Tensor],
        transfer: Transfer | None = None,
        min_bytes: int = MIN_BYTES,
    ):
        if not 0 < count < len(layers):
            raise ValueError(f"can offload 1 to {len(layers) - 1} of {len(layers)} layers, not {count}")
        self.layers, self.count, self.min_bytes = list(layers), count, min_bytes
        self.transfer = transfer if transfer is not None else CudaTransfer()
        self._weights = {p.untyped_storage().data_ptr() for p in params if p.numel()}
        self._saved: list[list[weakref.ref]] = [[] for _ in range(count)]  # per layer, this step's copies
        # tensors already copied in the layer running now; each is held until the layer's forward ends so
        # that its address cannot pass to another tensor of the same shape meanwhile
        self._same: dict[tuple, tuple[torch.Tensor, _Saved]] = {}
        self._contexts: list[Any] = []
        self._handles: list[Any] = []
        self.bytes_offloaded = 0  # since attach: what went to host memory

    # ------------------------------------------------------------------ hooks
    def attach(self) -> ActivationOffloader:
        """Hook the layers: the first ``count`` offload, the one after each prefetches it. Idempotent."""
        if self._handles:
            return self
        for index, layer in enumerate(self.layers[: self.count + 1]):
            if index < self.count:
                self._handles.append(layer.register_forward_pre_hook(self._enter(index)))
            self._handles.append(layer.register_forward_hook(self._leave(index), always_call=True))
        return self

    def detach(self) -> None:
        """Remove every hook; tensors already offloaded still come back in their backward."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _active(self, module: torch.nn.Module) -> bool:
        return module.training and torch.is_grad_enabled()

    def _enter(self, index: int) -> Callable:
        def pre_hook(module, args):
            if not self._active(module):
                self._contexts.append(None)
                return
            self._same.clear()
            self._saved[index] = [ref for ref in self._saved[index] if ref() is not None]
            context = torch.autograd.graph.saved_tensors_hooks(self._packer(index), self._unpack)
            context.__enter__()
            self._contexts.append(context)

        return pre_hook

    def _leave(self, index: int) -> Callable:
        def post_hook(module, args, output):
            if index < self.count and self._contexts:
                context = self._contexts.pop()
                if context is not None:
                    context.__exit__(None, None, None)
                    self._same.clear()
            if index > 0 and self._active(module):
                hidden = output[0] if isinstance(output, (tuple, list)) else output
                if torch.is_tensor(hidden) and hidden.requires_grad:
                    # the gradient reaching this layer's output: its backward starts, the layer before's next
                    hidden.register_hook(self._prefetcher(index - 1))

        return post_hook

    # ------------------------------------------------------------------ saved tensors
    def _packer(self, index: int) -> Callable:
        def pack(tensor: torch.Tensor) -> Any:
            if (
                not self.transfer.moves(tensor)
                or tensor.numel() * tensor.element_size() < self.min_bytes
                or tensor.untyped_storage().data_ptr() in self._weights
                or not _dense(tensor)
            ):
                return tensor
            key = (tensor.data_ptr(), tensor.shape, tensor.stride(), tensor.dtype, tensor._version)
            if key in self._same:
                return self._same[key][1]
            host, done = self.transfer.to_host(tensor)
            saved = _Saved(host, done, tensor.device)
            self._same[key] = (tensor, saved)
            self._saved[index].append(weakref.ref(saved))
            self.bytes_offloaded += tensor.numel() * tensor.element_size()
            return saved

        return pack

    def _unpack(self, packed: Any) -> torch.Tensor:
        if not isinstance(packed, _Saved):
            return packed
        if packed.tensor is None:  # not prefetched: fetch now
            packed.tensor, packed.ready = self.transfer.to_device(packed.host, packed.done, packed.device)
        return self.transfer.use(packed.tensor, packed.ready)

    def _prefetcher(self, index: int) -> Callable:
        def prefetch(grad: torch.Tensor) -> None:
            if index >= self.count:
                return
            for ref in self._saved[index]:
                saved = ref()
                if saved is not None and saved.tensor is None:
                    saved.tensor, saved.ready = self.transfer.to_device(saved.host, saved.done, saved.device)
            self._saved[index] = []

        return prefetch


class ActivationOffloadCallback(TrainerCallback):
    """``--activation_offloading``: offload the first layers' activations while the trainer trains.

    At ``on_train_begin`` (after the trainer switched gradient checkpointing on) the offloaded
    layers leave checkpointing and get the :class:`ActivationOffloader` hooks; after the first
    step the log says how much went to host memory.

    Args:
        model: The model being trained.
        layers: ``--activation_offloading_layers`` (None: all but the last).
        transfer: The copying (:class:`CudaTransfer` by default).
    """

    def __init__(self, model: torch.nn.Module, layers: int | None = None, transfer: Transfer | None = None):
        self.model, self.layers, self.transfer = model, layers, transfer
        self.offloader: ActivationOffloader | None = None
        self._told = False

    def on_train_begin(self, args, state, control, **kwargs):
        """Take the offloaded layers out of checkpointing and hook them."""
        from swift_transformers.train.steps import say
        from swift_transformers.train.unwrap import decoder_layers, inner_model

        if self.offloader is not None:
            return
        layers = decoder_layers(self.model)
        if len(layers) < 2:
            raise RuntimeError(
                "--activation_offloading: the model has one decoder layer, and the last is never offloaded"
            )
        count = min(self.layers or len(layers) - 1, len(layers) - 1)
        causal = inner_model(self.model)
        # transformers 5 renamed it (the old name warns); older releases have only the old one
        checkpointing = bool(
            getattr(causal, "is_activation_checkpointing", None) or getattr(causal, "is_gradient_checkpointing", False)
        )
        for layer in layers[:count]:
            if hasattr(layer, "gradient_checkpointing"):
                layer.gradient_checkpointing = False  # offloaded instead of recomputed
            elif checkpointing:
                raise RuntimeError(
                    f"--activation_offloading: {type(layer).__name__} is checkpointed by its model, which swift "
                    "cannot take single layers out of; add --gradient_checkpointing false"
                )
        self.offloader = ActivationOffloader(layers, count, model_parameters(self.model), self.transfer).attach()
        rest = "are recomputed in backward" if checkpointing else "keep theirs on the device"
        asked = (
            f" (asked {self.layers}; the last layer is never offloaded)" if self.layers and self.layers > count else ""
        )
        say(
            f"activation offloading: decoder layers 0-{count - 1} of {len(layers)} keep what they save for backward "
            f"in host memory and are not recomputed{asked}; the other {len(layers) - count} {rest}"
        )

    def on_step_end(self, args, state, control, **kwargs):
        """After the first step: how much the offloaded layers moved."""
        from swift_transformers.train.steps import say

        if self.offloader is not None and not self._told:
            self._told = True
            say(
                f"activation offloading: {self.offloader.bytes_offloaded / 2**30:.3f} GiB went to host memory in step 1"
            )

    def on_train_end(self, args, state, control, **kwargs):
        """Unhook the layers."""
        if self.offloader is not None:
            self.offloader.detach()
            self.offloader = None


def model_parameters(model: torch.nn.Module) -> list[torch.Tensor]:
    """Parameters and buffers of ``model`` (what :class:`ActivationOffloader` never moves)."""
    return [*model.parameters(), *model.buffers()]
