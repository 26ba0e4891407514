"""LLaMA-Pro: block expansion; only the inserted blocks train.

New decoder blocks, each a copy of the block before it whose output projections are zero
(so it starts as the identity), are inserted after every group of the original blocks.

The checkpoint is the whole expanded model (``config.json`` with the new
``num_hidden_layers``), so it loads in plain transformers; there is nothing to merge.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import torch

from swift.kernel import UsageError
from swift_peft.settings import LlamaProSettings

if TYPE_CHECKING:
    from swift.arguments import TrainArguments

# Linear layers that write a block's result back into the residual stream, by architecture family
OUTPUT_PROJECTIONS = ("o_proj", "down_proj", "out_proj", "c_proj", "dense_4h_to_h", "wo", "w2")


def decoder_blocks(model: torch.nn.Module) -> tuple[torch.nn.Module, str, torch.nn.ModuleList]:
    """``(parent, attribute, blocks)``: the longest ``ModuleList`` of the model and where it hangs."""
    best: tuple[torch.nn.Module, str, torch.nn.ModuleList] | None = None
    for parent in model.modules():
        for name, child in parent.named_children():
            if isinstance(child, torch.nn.ModuleList) and (best is None or len(child) > len(best[2])):
                best = (parent, name, child)
    if best is None:
        raise UsageError("--train_type llamapro needs a model whose decoder blocks form a ModuleList")
    return best


def identity_block(block: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``block`` whose output projections are zero: it adds nothing to the residual."""
    new = copy.deepcopy(block)
    zeroed = 0
    for name, module in new.named_modules():
        if isinstance(module, torch.nn.Linear) and name.rsplit(".", 1)[-1] in OUTPUT_PROJECTIONS:
            torch.nn.init.zeros_(module.weight)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
            zeroed += 1
    if zeroed < 2:
        raise UsageError(
            "--train_type llamapro: cannot find the attention and MLP output projections of this architecture "
            f"(looked for {', '.join(OUTPUT_PROJECTIONS)})"
        )
    return new


def insertion_points(num_layers: int, num_new_blocks: int, num_groups: int) -> list[int]:
    """After which original layer each new block goes.

    The layers are cut into ``num_groups`` groups as evenly as they divide, and the new
    blocks are dealt to the groups in order; each goes after the last layer of its group.
    """
    points = []
    for j in range(num_new_blocks):
        group = j * num_groups // num_new_blocks
        points.append(-(-(group + 1) * num_layers // num_groups) - 1)  # ceil((g+1)·n/groups) - 1
    return points


def expand(model: torch.nn.Module, settings: LlamaProSettings) -> list[int]:
    """Insert the new blocks into ``model`` in place; returns their indices."""
    parent, attr, blocks = decoder_blocks(model)
    points = insertion_points(len(blocks), settings.num_new_blocks, settings.num_groups)
    layer_types = list(getattr(model.config, "layer_types", None) or [])
    expanded, types, new_indices = [], [], []
    for i, block in enumerate(blocks):
        expanded.append(block)
        types += layer_types[i : i + 1]
        for _ in range(points.count(i)):
            new_indices.append(len(expanded))
            expanded.append(identity_block(block))
            types += layer_types[i : i + 1]
    setattr(parent, attr, torch.nn.ModuleList(expanded))
    for index, block in enumerate(expanded):  # the KV cache is addressed by layer index
        for module in block.modules():
            if hasattr(module, "layer_idx"):
                module.layer_idx = index
    model.config.num_hidden_layers = len(expanded)
    if layer_types:
        model.config.layer_types = types
    return new_indices


class LlamaProTuner:
    """``--train_type llamapro``: :class:`swift.contracts.Tuner` by block expansion."""

    name = "llamapro"

    def __repr__(self) -> str:
        return "<LlamaProTuner 'llamapro'>"

    def prepare(self, model: torch.nn.Module, args: TrainArguments, *, total_steps: int | None = None) -> Any:
        """Insert the identity blocks and leave only them trainable."""
        new_indices = expand(model, LlamaProSettings.from_args(args))
        model.requires_grad_(False)
        _, _, blocks = decoder_blocks(model)
        for index in new_indices:
            blocks[index].requires_grad_(True)
        return model

    def save(self, model: torch.nn.Module, output_dir: str, **kwargs: Any) -> None:
        """The whole expanded model, as plain transformers saves it."""
        model.save_pretrained(output_dir, **kwargs)

    def load(self, model: torch.nn.Module, adapter_dir: str, *, is_trainable: bool = False, **_: Any) -> Any:
        """The expanded model saved in ``adapter_dir`` (``model`` gives its class and dtype)."""
        loaded = type(model).from_pretrained(adapter_dir, dtype=model.dtype).to(model.device)
        loaded.requires_grad_(is_trainable)
        return loaded.train(is_trainable)

    def merge(self, model: torch.nn.Module) -> torch.nn.Module:
        """Nothing to fold in: the checkpoint already is the whole model."""
        return model

    def optimizer_param_groups(self, model: torch.nn.Module, args: TrainArguments) -> list[dict] | None:
        """None: the trainer's usual parameter groups (over the new blocks)."""
        return None

    def callback(self, model: torch.nn.Module, args: TrainArguments) -> Any | None:
        """None: block expansion needs no per-step work."""
        return None


LLAMAPRO = LlamaProTuner()
