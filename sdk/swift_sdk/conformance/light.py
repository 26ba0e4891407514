"""The hooks module stays light: importing it and listing its records imports no heavy library.

``swift --help`` and ``swift plugins list`` import every hooks module and call its
registration hooks; one ``import torch`` there costs every user seconds on every
command. The check runs in a fresh interpreter (this one has torch loaded
already) and names the file and line that pulled the heavy library in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence

from swift_sdk.conformance.errors import fail

#: Libraries a hooks module (and a command's arguments module) must not import.
HEAVY_MODULES: tuple[str, ...] = (
    "torch",
    "transformers",
    "peft",
    "trl",
    "datasets",
    "accelerate",
    "deepspeed",
    "vllm",
    "sglang",
    "lmdeploy",
    "fastapi",
    "uvicorn",
    "gradio",
)

# Runs in the child: a finder that notes who imports each heavy top-level module first,
# then the import of the hooks module and a call of every registration hook it has.
_PROBE = r"""
import importlib, importlib.abc, json, sys, traceback

heavy, module_name, extra = set(json.loads(sys.argv[1])), sys.argv[2], sys.argv[3:]
culprits = {}

class Witness(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in heavy and top not in culprits:
            frames = [f for f in traceback.extract_stack()[:-1]
                      if "importlib" not in f.filename and not f.filename.startswith("<")]
            culprits[top] = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
        return None

sys.meta_path.insert(0, Witness())
module = importlib.import_module(module_name)
for attr in dir(module):
    hook = getattr(module, attr)
    if attr.startswith("swift_register_") and hasattr(hook, "swift_impl"):
        list(hook() or ())
for name in extra:
    importlib.import_module(name)
loaded = {m: culprits.get(m, "?") for m in sorted(heavy) if m in sys.modules}
print("SWIFT-LIGHT " + json.dumps(loaded))
"""


def heavy_imports(module: str, also: Sequence[str] = (), heavy: Sequence[str] = HEAVY_MODULES) -> dict[str, str]:
    """Heavy libraries that importing ``module`` (and ``also``) and listing its records load.

    Args:
        module: Import name of a hooks module.
        also: Other modules that must stay light (a command's arguments module).
        heavy: Top-level names counted as heavy.

    Returns:
        ``{library: "file:line that imported it"}``; empty when all is light.

    Raises:
        ConformanceError: When the module cannot even be imported in a fresh interpreter.
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(heavy)), module, *also],
        capture_output=True,
        text=True,
        env=env,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("SWIFT-LIGHT ")]
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        raise fail(module, f"cannot be imported in a fresh interpreter: {tail[0]}")
    return json.loads(lines[-1].removeprefix("SWIFT-LIGHT "))


def check_hooks_light(module: str, also: Sequence[str] = (), heavy: Sequence[str] = HEAVY_MODULES) -> None:
    """Raise when the hooks module (or ``also``) imports a heavy library.

    Raises:
        ConformanceError: Naming each heavy library and the line that imported it,
            with the fix (import inside the implementation module instead).
    """
    loaded = heavy_imports(module, also, heavy)
    if loaded:
        found = "; ".join(f"{lib} (imported at {where})" for lib, where in loaded.items())
        raise fail(
            module,
            f"importing the hooks module and listing its records imports {found}. "
            "`swift --help` and `swift plugins list` import every hooks module: keep it to records "
            "and import heavy libraries only inside the implementation modules that `load` names",
        )
