#!/usr/bin/env bash
# The wheels bench/gpu_run.sh installs on a bare GPU machine (Python 3.12, torch/transformers/peft/
# accelerate preinstalled, no network), written to .whl/ (git-ignored; ~57 MiB, under the device
# tool's 64 MiB carry): swift's own packages built from this checkout, plus what that machine
# lacks, for its Python. Run it here before the device call, then carry .whl:
#   bash bench/gpu_wheels.sh && (device) run: OUT=$OUT bash bench/gpu_run.sh   [carry: .whl]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PY:-.venv/bin/python}
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo /.whl/ >> .git/info/exclude
mkdir -p .whl
rm -f .whl/swift-*.whl .whl/swift_*.whl  # this checkout's code, never an older build
rm -rf build plugins/*/build sdk/build   # setuptools would package files deleted since the last build
"$PY" -m pip wheel -q --no-deps --no-build-isolation -w .whl . plugins/swift-transformers plugins/swift-peft ./sdk
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 pyarrow==26.0.1 liger-kernel==0.8.5
du -sh .whl
ls .whl
