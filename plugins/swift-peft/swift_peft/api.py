"""The public API of swift-peft, for other plugins.

A plugin that builds a tuner on swift-peft's (a preset, a variant) imports it from
here; everything else in the package is internal. All tuners implement
:class:`swift.contracts.Tuner`.

* :class:`PeftTuner` — a tuner from a peft config builder (save/load/merge included);
* :class:`LoraTuner` — ``--train_type lora`` (DoRA, rsLoRA, PiSSA/OLoRA, LoRA+);
* :class:`TargetSettings`, :class:`LoraSettings`, :class:`AdaLoraSettings`, :class:`BoftSettings`,
  :class:`VeraSettings`, :class:`FourierSettings` — the typed settings each tuner reads once
  (``from_args``).
"""

from __future__ import annotations

from swift.kernel.lazy import lazy_exports

_EXPORTS = {
    "PeftTuner": "swift_peft.base",
    "LoraTuner": "swift_peft.lora",
    "LoraSettings": "swift_peft.settings",
    "AdaLoraSettings": "swift_peft.settings",
    "TargetSettings": "swift_peft.settings",
    "BoftSettings": "swift_peft.settings",
    "VeraSettings": "swift_peft.settings",
    "FourierSettings": "swift_peft.settings",
    "LlamaProSettings": "swift_peft.settings",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)
