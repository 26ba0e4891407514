"""The plugin's registration stays light and overrides the core's declaration of `deploy`."""

from __future__ import annotations

import subprocess
import sys


def test_hooks_import_no_heavy_library():
    code = (
        "import sys, swift_serve.hooks as h; list(h.swift_register_commands()); "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette', 'torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_deploy_command_comes_from_swift_serve():
    from swift.kernel import registry

    record = registry("commands").get("deploy")
    assert record.load == "swift_serve.deploy:deploy_main"
    assert record.provider.distribution == "swift-serve"
    assert record.arguments == "swift.arguments:DeployArguments"
    assert set(record.families) >= {"models", "templates", "tuners", "engines"}
