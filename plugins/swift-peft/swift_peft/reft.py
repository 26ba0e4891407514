r"""ReFT: representation fine-tuning (Wu et al., 2024, arXiv:2404.03592).

The base model stays frozen; a small trained *intervention* edits the hidden state that
leaves each chosen decoder block, at every position (as ms-swift applies ReFT). With
``R`` a rank-``r`` matrix with orthonormal columns (``embed × r``), ``W``/``b`` a trained
projection to rank ``r``, ``P`` an unconstrained one and ``φ`` the ``act_fn``:

=========================  ==================================
``LoreftIntervention``     ``h + (φ(Wh + b) − hR) Rᵀ``
``NoreftIntervention``     ``h + (φ(Wh + b) − Ph) P``
``ConsreftIntervention``   ``h + (b − hR) Rᵀ``
``LobireftIntervention``   ``h + b Rᵀ``
``DireftIntervention``     ``h + φ(Wh + b) Rᵀ``
``NodireftIntervention``   ``h + φ(Wh + b) P``
=========================  ==================================

``--reft_args`` (JSON) takes ``dropout`` (on the edit, 0 by default), ``act_fn`` (a
transformers activation name; none = linear) and ``add_bias`` (a bias in ``P``).

The interventions run as forward hooks, so gradient checkpointing works with them (the
reference's warning comes from pyreft's wrapper, which this does not use). A checkpoint
holds only the interventions, in ``<checkpoint>/reft/`` (``config.json`` and
``interventions.safetensors``); it loads back onto the base model with ``--adapters`` or
``--ckpt_dir``. ReFT edits activations, not weights, so there is nothing to merge:
``merge-lora`` refuses it.
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from swift.kernel import UsageError
from swift_peft.llamapro import decoder_blocks
from swift_peft.settings import INTERVENTION_TYPES, ReftSettings

if TYPE_CHECKING:
    from swift.arguments import TrainArguments

SUBDIR = "reft"
CONFIG = "config.json"
WEIGHTS = "interventions.safetensors"
ATTRIBUTE = "swift_reft"  # where the interventions hang on the model


class _Rotation(nn.Module):
    """``R``: ``embed × rank`` with orthonormal columns, the Q factor of a trained matrix.

    Not ``torch.nn.utils.parametrizations.orthogonal`` (which pyreft uses): for a non-square
    matrix it keeps the columns' signs as ±1 on the diagonal of its parameter, so any weight
    decay (ms-swift's default is 0.1) rounds them to 0 and ``R`` becomes zero after one step.
    A QR factor is invariant to such scaling.
    """

    def __init__(self, embed_dim: int, rank: int):
        super().__init__()
        if rank > embed_dim:
            raise UsageError(f"--reft_rank {rank} is larger than the hidden size {embed_dim}")
        self.raw = nn.Parameter(torch.empty(embed_dim, rank))
        nn.init.orthogonal_(self.raw)

    @property
    def weight(self) -> torch.Tensor:
        """The orthonormal columns (signs fixed so that the QR's ``R`` has a non-negative diagonal)."""
        q, r = torch.linalg.qr(self.raw)
        signs = torch.where(torch.diagonal(r) < 0, -1.0, 1.0).to(q.dtype)
        return q * signs


class Intervention(nn.Module, ABC):
    """One intervention; subclasses give the edit ``delta(h)`` added to the hidden state ``h``."""

    def __init__(self, embed_dim: int, rank: int, dropout: float = 0.0, act_fn: str | None = None, **_: Any):
        super().__init__()
        from transformers.activations import ACT2FN

        self.dropout = nn.Dropout(float(dropout))
        self.act = ACT2FN[act_fn] if act_fn else nn.Identity()

    @abstractmethod
    def delta(self, h: torch.Tensor) -> torch.Tensor:
        """The edit added to ``h`` (float32, ``... × embed``)."""

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """``hidden`` with the edit added (computed in float32, returned in ``hidden``'s dtype)."""
        h = hidden.float()  # the edit is computed in float32 whatever the model's dtype
        return (h + self.dropout(self.delta(h))).to(hidden.dtype)


class _Projected(Intervention):
    """Interventions with a trained projection ``Wh + b`` to rank ``r``."""

    def __init__(self, embed_dim: int, rank: int, **kwargs: Any):
        super().__init__(embed_dim, rank, **kwargs)
        self.source = nn.Linear(embed_dim, rank)


class Loreft(_Projected):
    """``h + (φ(Wh + b) − hR) Rᵀ``: the edit lives in the span of ``R``."""

    def __init__(self, embed_dim: int, rank: int, **kwargs: Any):
        super().__init__(embed_dim, rank, **kwargs)
        self.rotation = _Rotation(embed_dim, rank)

    def delta(self, h: torch.Tensor) -> torch.Tensor:
        """The edit (see the class docstring)."""
        r = self.rotation.weight
        return (self.act(self.source(h)) - h @ r) @ r.T


class Noreft(_Projected):
    """``h + (φ(Wh + b) − Ph) P``: LoReFT without the orthogonality constraint."""

    def __init__(self, embed_dim: int, rank: int, add_bias: bool = False, **kwargs: Any):
        super().__init__(embed_dim, rank, **kwargs)
        self.projection = nn.Linear(embed_dim, rank, bias=bool(add_bias))

    def delta(self, h: torch.Tensor) -> torch.Tensor:
        """The edit (see the class docstring)."""
        return (self.act(self.source(h)) - self.projection(h)) @ self.projection.weight


class Consreft(Intervention):
    """``h + (b − hR) Rᵀ``: the span of ``R`` is set to a trained constant."""

    def __init__(self, embed_dim: int, rank: int, **kwargs: Any):
        super().__init__(embed_dim, rank, **kwargs)
        self.rotation = _Rotation(embed_dim, rank)
        self.constant = nn.Parameter(torch.rand(rank))

    def delta(self, h: torch.Tensor) -> torch.Tensor:
        """The edit (see the class docstring)."""
        r = self.rotation.weight
        return (self.constant - h @ r) @ r.T


class Lobireft(Intervention):
    """``h + b Rᵀ``: a trained low-rank bias (BitFit in the span of ``R``)."""

    def __init__(self, embed_dim: int, rank: int, **kwargs: Any):
        super().__init__(embed_dim, rank, **kwargs)
        self.rotation = _Rotation(embed_dim, rank)
        self.constant = nn.Parameter(torch.rand(rank))

    def delta(self, h: torch.Tensor) -> torch.Tensor:
        """The edit (see the class docstring)."""
        return (self.constant @ self.rotation.weight.T).expand_as(h)


class Direft(_Projected):
    """``h + φ(Wh + b) Rᵀ``: an edit written into the span of ``R``, without removing ``hR``."""

    def __init__(self, embed_dim: int, rank: int, **kwargs: Any):
        super().__init__(embed_dim, rank, **kwargs)
        self.rotation = _Rotation(embed_dim, rank)

    def delta(self, h: torch.Tensor) -> torch.Tensor:
        """The edit (see the class docstring)."""
        return self.act(self.source(h)) @ self.rotation.weight.T


class Nodireft(_Projected):
    """``h + φ(Wh + b) P``: DiReFT without the orthogonality constraint."""

    def __init__(self, embed_dim: int, rank: int, add_bias: bool = False, **kwargs: Any):
        super().__init__(embed_dim, rank, **kwargs)
        self.projection = nn.Linear(embed_dim, rank, bias=bool(add_bias))

    def delta(self, h: torch.Tensor) -> torch.Tensor:
        """The edit (see the class docstring)."""
        return self.act(self.source(h)) @ self.projection.weight


INTERVENTIONS: dict[str, type[Intervention]] = {
    "NoreftIntervention": Noreft,
    "LoreftIntervention": Loreft,
    "ConsreftIntervention": Consreft,
    "LobireftIntervention": Lobireft,
    "DireftIntervention": Direft,
    "NodireftIntervention": Nodireft,
}
assert tuple(INTERVENTIONS) == INTERVENTION_TYPES


def _check_act_fn(name: str | None) -> None:
    from transformers.activations import ACT2FN

    if name is not None and name not in ACT2FN:
        raise UsageError(f"--reft_args: act_fn {name!r} is not a transformers activation")


def _blocks(model: nn.Module, layer_key: str | None) -> nn.ModuleList:
    if layer_key is None:
        return decoder_blocks(model)[2]
    try:
        blocks = model.get_submodule(layer_key)
    except AttributeError:
        raise UsageError(f"--reft_layer_key {layer_key!r} is not a module of this model") from None
    if not isinstance(blocks, nn.ModuleList):
        raise UsageError(f"--reft_layer_key {layer_key!r} is a {type(blocks).__name__}, not a list of layers")
    return blocks


def _hook(intervention: Intervention):
    def edit(module: nn.Module, args: Any, output: Any) -> Any:
        if isinstance(output, torch.Tensor):
            return intervention(output)
        return (intervention(output[0]), *output[1:])  # older decoder layers return a tuple

    return edit


def attach(model: nn.Module, settings: ReftSettings) -> nn.ModuleDict:
    """Build the interventions of ``settings`` on ``model`` and hook them to their blocks."""
    if hasattr(model, ATTRIBUTE):
        raise UsageError("this model already carries ReFT interventions; ReFT serves one adapter at a time")
    blocks = _blocks(model, settings.layer_key)
    layers = settings.layers if settings.layers is not None else tuple(range(len(blocks)))
    outside = [i for i in layers if not 0 <= i < len(blocks)]
    if outside:
        raise UsageError(f"--reft_layers {outside}: the model has layers 0 to {len(blocks) - 1}")
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    kind = INTERVENTIONS[settings.intervention_type]
    device = next(model.parameters()).device
    interventions = nn.ModuleDict(
        {str(i): kind(config.hidden_size, settings.rank, **settings.args).to(device) for i in layers}
    )
    setattr(model, ATTRIBUTE, interventions)
    for i in layers:
        blocks[i].register_forward_hook(_hook(interventions[str(i)]))
    return interventions


class ReftTuner:
    """``--train_type reft``: :class:`swift.contracts.Tuner` by hidden-state interventions."""

    name = "reft"

    def __repr__(self) -> str:
        return "<ReftTuner 'reft'>"

    def prepare(self, model: nn.Module, args: TrainArguments, *, total_steps: int | None = None) -> Any:
        """Freeze the model and attach trainable interventions."""
        settings = ReftSettings.from_args(args)
        _check_act_fn(settings.args.get("act_fn"))
        model.requires_grad_(False)
        interventions = attach(model, settings)
        interventions.requires_grad_(True)
        model._swift_reft_settings = settings
        return model

    def save(self, model: nn.Module, output_dir: str, **_: Any) -> None:
        """``<output_dir>/reft/``: the settings and the interventions' weights."""
        from safetensors.torch import save_file

        interventions: nn.ModuleDict = getattr(model, ATTRIBUTE)
        folder = os.path.join(output_dir, SUBDIR)
        os.makedirs(folder, exist_ok=True)
        settings = asdict(model._swift_reft_settings)
        with open(os.path.join(folder, CONFIG), "w", encoding="utf-8") as f:
            json.dump(settings, f, indent=2)
        state = {k: v.detach().cpu().contiguous() for k, v in interventions.state_dict().items()}
        save_file(state, os.path.join(folder, WEIGHTS))

    def load(self, model: nn.Module, adapter_dir: str, *, is_trainable: bool = False, **_: Any) -> Any:
        """Attach the interventions saved in ``adapter_dir`` to ``model``."""
        from safetensors.torch import load_file

        folder = os.path.join(adapter_dir, SUBDIR)
        if not os.path.isfile(os.path.join(folder, CONFIG)):
            raise UsageError(f"{adapter_dir} holds no ReFT checkpoint ({SUBDIR}/{CONFIG} is missing)")
        with open(os.path.join(folder, CONFIG), encoding="utf-8") as f:
            raw = json.load(f)
        settings = ReftSettings(**{**raw, "layers": tuple(raw["layers"]) if raw.get("layers") else None})
        interventions = attach(model, settings)
        device = next(model.parameters()).device
        interventions.load_state_dict(load_file(os.path.join(folder, WEIGHTS), device=str(device)))
        model.requires_grad_(False)
        interventions.requires_grad_(is_trainable)
        model._swift_reft_settings = settings
        return model.train(is_trainable)

    def optimizer_param_groups(self, model: nn.Module, args: TrainArguments) -> list[dict] | None:
        """None: the trainer's usual parameter groups (over the interventions)."""
        return None

    def callback(self, model: nn.Module, args: TrainArguments) -> Any | None:
        """None: nothing to do per step."""
        return None


REFT = ReftTuner()
