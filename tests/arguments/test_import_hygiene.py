"""Importing and using swift.arguments pulls in no heavy library (checked in a fresh process)."""

import json
import subprocess
import sys

HEAVY = (
    "torch",
    "transformers",
    "peft",
    "trl",
    "datasets",
    "accelerate",
    "fastapi",
    "gradio",
    "vllm",
)

PROBE = f"""
import json, sys
import swift.arguments as A
A.parse_args(A.RLHFArguments, ["--model", "m", "--rlhf_type", "grpo"])
A.format_help(A.TrainArguments, prog="swift sft")
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
print(json.dumps({{"heavy": heavy, "yaml": "yaml" in sys.modules}}))
"""


def test_importing_arguments_loads_no_heavy_library():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
    assert result["yaml"] is False  # PyYAML only when a YAML config is read
