"""The microkernel: hook markers, records, plugin loading and registries.

Most code needs only :func:`get_kernel` and :func:`registry`::

    from swift.kernel import registry
    tuner = registry("tuners").load("lora")
"""

from __future__ import annotations

from swift.kernel.errors import (
    ConflictError,
    MissingProviderError,
    PluginLoadError,
    SwiftError,
    UnknownNameError,
    UsageError,
)
from swift.kernel.lazy import load_object
from swift.kernel.markers import hookimpl, hookspec
from swift.kernel.records import (
    AgentTemplateRecord,
    ArgumentGroupRecord,
    CommandRecord,
    DatasetRecord,
    EngineRecord,
    EvalBackendRecord,
    LossRecord,
    ModelRecord,
    Provider,
    Record,
    RewardRecord,
    SchedulerRecord,
    TemplateRecord,
    ToolRecord,
    TrainerRecord,
    TunerRecord,
)

__all__ = [
    "AgentTemplateRecord",
    "ArgumentGroupRecord",
    "CommandRecord",
    "ConflictError",
    "DatasetRecord",
    "EngineRecord",
    "EvalBackendRecord",
    "Kernel",
    "LossRecord",
    "MissingProviderError",
    "ModelRecord",
    "PluginLoadError",
    "Provider",
    "Record",
    "Registry",
    "RewardRecord",
    "SchedulerRecord",
    "SwiftError",
    "TemplateRecord",
    "ToolRecord",
    "TrainerRecord",
    "TunerRecord",
    "UnknownNameError",
    "UsageError",
    "get_kernel",
    "hookimpl",
    "hookspec",
    "load_object",
    "registry",
    "reset_kernel",
    "set_kernel",
]

_kernel = None


def __getattr__(name: str):
    # Kernel and Registry import pluggy machinery; keep `from swift.kernel import hookimpl` cheap.
    if name == "Kernel":
        from swift.kernel.manager import Kernel

        return Kernel
    if name == "Registry":
        from swift.kernel.registries import Registry

        return Registry
    raise AttributeError(name)


def get_kernel():
    """The process-wide kernel, created on first use from the environment."""
    global _kernel
    if _kernel is None:
        from swift.kernel.manager import Kernel

        _kernel = Kernel()
    return _kernel


def set_kernel(kernel):
    """Replace the process-wide kernel (tests, embedding); returns the previous one."""
    global _kernel
    previous, _kernel = _kernel, kernel
    return previous


def reset_kernel() -> None:
    """Forget the process-wide kernel; the next :func:`get_kernel` builds a fresh one."""
    set_kernel(None)


def registry(family: str):
    """Shortcut for ``get_kernel().registry(family)``."""
    return get_kernel().registry(family)
