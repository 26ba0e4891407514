#!/usr/bin/env bash
# scripts/setup.sh - create or reuse the swift dev/CI virtualenv.  Idempotent.
#
#   Location : $SWIFT_VENV if set, else <repo>/.venv
#   Cache    : ${SWIFT_VENV_CACHE:-$HOME/.cache/swift-venvs}/<key>, where <key> hashes
#              constraints.txt, requirements/*.txt and the third-party dependencies
#              declared by sdk/pyproject.toml and plugins/*/pyproject.toml.
#              The venv path becomes a symlink to the cached venv.
#              SWIFT_VENV_CACHE=off builds the venv in place instead.
#   Modes    : cold  - build a fresh venv (torch first, then everything with -c constraints.txt)
#              warm  - reuse a cached/in-place venv whose key matches
#              sync  - an existing real-directory venv whose key differs is updated in place
#   Always   : (cheap) editable, --no-deps installs of core (.), sdk/ and every plugins/*/
#              that has a pyproject.toml, pointing at THIS checkout; stale editable installs
#              from other checkouts / deleted plugins are removed; torchvision/torchaudio/
#              torchcodec are uninstalled if present.
#
# Env knobs: SWIFT_VENV, SWIFT_VENV_CACHE (dir or "off"), SWIFT_VENV_CACHE_KEEP (default 3),
#            SWIFT_PYTHON (default python3), SWIFT_TORCH_SPEC (default torch==2.13.0).
set -euo pipefail
shopt -s nullglob
export LC_ALL=C

t_start=$(date +%s.%N)
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'; }
log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

PYTHON="${SWIFT_PYTHON:-python3}"
TORCH_SPEC="${SWIFT_TORCH_SPEC:-torch==2.13.0}"
VENV="${SWIFT_VENV:-$ROOT/.venv}"
CACHE_ROOT="${SWIFT_VENV_CACHE:-${HOME:-/tmp}/.cache/swift-venvs}"
CACHE_KEEP="${SWIFT_VENV_CACHE_KEEP:-3}"
SETUP_VERSION="setup-v1"      # bump when the build recipe below changes
FORBIDDEN=(torchvision torchaudio torchcodec)

export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off

command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
[ -f constraints.txt ] || die "constraints.txt missing in $ROOT"

tmpdir="$(mktemp -d)"
trap 'rm -rf "$tmpdir"' EXIT

# ---------------------------------------------------------------- key
# Third-party deps of the sdk and first-party plugins (first-party swift* names excluded;
# those are installed editable with --no-deps below).  Only [project].dependencies and the
# optional groups test/tests/dev are taken: other extras (vllm, deepspeed, ...) are opt-in.
PLUGIN_REQS="$tmpdir/plugin-requirements.txt"
"$PYTHON" - "$PLUGIN_REQS" sdk/pyproject.toml plugins/*/pyproject.toml <<'PY'
import hashlib, pathlib, re, sys
try:
    import tomllib
except ImportError:  # python 3.10: fall back to hashing the raw files, no dep install
    tomllib = None
out, lines = sys.argv[1], []
first_party = re.compile(r"^swift([-_.].*)?$", re.I)
for p in sys.argv[2:]:
    path = pathlib.Path(p)
    if not path.is_file():
        continue
    raw = path.read_bytes()
    if tomllib is None:
        lines.append(f"# raw {p} sha256={hashlib.sha256(raw).hexdigest()}")
        continue
    try:
        proj = tomllib.loads(raw.decode()).get("project", {})
    except Exception as exc:  # a broken pyproject must not break the key; editable step reports it
        lines.append(f"# unparsable {p}: {exc!r} sha256={hashlib.sha256(raw).hexdigest()}")
        continue
    deps = list(proj.get("dependencies", []))
    for extra in ("test", "tests", "dev"):
        deps += proj.get("optional-dependencies", {}).get(extra, [])
    for dep in deps:
        m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", dep)
        if m and not first_party.match(m.group(1)):
            lines.append(dep.strip())  # no source path: renaming a plugin keeps the key
pathlib.Path(out).write_text("".join(sorted(set(l + "\n" for l in lines))))
PY

KEY="$(
  {
    echo "$SETUP_VERSION $TORCH_SPEC"
    "$PYTHON" -c 'import platform, sys; print(sys.version.split()[0], platform.machine(), sys.implementation.name)'
    for f in constraints.txt requirements/*.txt; do echo "== $f"; cat "$f"; done
    echo "== plugin deps"; cat "$PLUGIN_REQS"
  } | sha256sum | cut -c1-16
)"

# ---------------------------------------------------------------- locate
if [ -L "$VENV" ] || [ ! -e "$VENV" ]; then
  if [ "$CACHE_ROOT" = "off" ] || [ "$CACHE_ROOT" = "none" ] || [ "$CACHE_ROOT" = "0" ]; then
    [ -L "$VENV" ] && rm -f "$VENV"
    TARGET="$VENV"; LAYOUT="in-place"
  else
    TARGET="$CACHE_ROOT/$KEY"; LAYOUT="cache"
  fi
elif [ -d "$VENV" ]; then
  TARGET="$VENV"; LAYOUT="in-place"          # an existing real directory is kept and synced
else
  die "$VENV exists and is neither a directory nor a symlink"
fi

LOCK_DIR="${CACHE_ROOT}"
case "$LOCK_DIR" in off|none|0) LOCK_DIR="${HOME:-/tmp}/.cache/swift-venvs" ;; esac
mkdir -p "$LOCK_DIR/.locks" "$(dirname "$TARGET")"
lock_file="$LOCK_DIR/.locks/$(printf '%s' "$TARGET" | sha256sum | cut -c1-16).lock"
if command -v flock >/dev/null; then
  exec 9>"$lock_file"
  flock -w 3600 9 || die "timed out waiting for lock $lock_file (another setup.sh running?)"
fi

PY="$TARGET/bin/python"
pip() { "$PY" -m pip "$@"; }
venv_ok() { [ -x "$PY" ] && "$PY" -c 'import sys' >/dev/null 2>&1; }

heavy_install() {
  local t0; t0=$(date +%s.%N)
  pip install -q -c constraints.txt --upgrade pip setuptools
  log "installing $TORCH_SPEC first (avoids pulling CUDA wheels)"
  pip install "$TORCH_SPEC"
  local reqs=(-r requirements/runtime.txt)
  [ -f requirements/dev.txt ] && reqs+=(-r requirements/dev.txt)
  [ -s "$PLUGIN_REQS" ] && grep -qv '^#' "$PLUGIN_REQS" && reqs+=(-r "$PLUGIN_REQS")
  log "installing third-party deps with -c constraints.txt: ${reqs[*]}"
  pip install -c constraints.txt "${reqs[@]}"
  cp "$PLUGIN_REQS" "$TARGET/.swift-plugin-requirements.txt"
  echo "$KEY" > "$TARGET/.swift-venv-key"
  touch "$TARGET/.ready"
  log "heavy install done in $(elapsed "$t0")"
}

MODE=warm
if venv_ok && [ -f "$TARGET/.ready" ] && [ "$(cat "$TARGET/.swift-venv-key" 2>/dev/null)" = "$KEY" ]; then
  log "reusing venv $TARGET (key $KEY)"
elif [ "$LAYOUT" = "in-place" ] && venv_ok; then
  MODE=sync
  log "venv $TARGET exists but key differs -> syncing in place"
  heavy_install
else
  MODE=cold
  log "building fresh venv at $TARGET (key $KEY)"
  rm -rf "$TARGET"
  "$PYTHON" -m venv "$TARGET"
  heavy_install
fi

if [ "$LAYOUT" = "cache" ]; then
  if [ "$(readlink "$VENV" 2>/dev/null || true)" != "$TARGET" ]; then
    ln -sfn "$TARGET" "$VENV"
  fi
  touch "$TARGET"                 # mtime = last use, for pruning
fi

# ---------------------------------------------------------------- editable first-party installs
t_edit=$(date +%s.%N)
editables=()
[ -f pyproject.toml ] && [ -d core ] && editables+=("$ROOT")
[ -f sdk/pyproject.toml ] && editables+=("$ROOT/sdk")
for d in plugins/*/; do
  [ -f "$d/pyproject.toml" ] && editables+=("$ROOT/${d%/}")
done

# Plan the editable step in one python call:
#  STALE <name> : editable install pointing elsewhere (another checkout sharing the cached venv,
#                 or a deleted/renamed plugin) -> uninstalled so stale entry points never load.
#                 Editables inside this checkout outside the default set (contrib/*) are kept.
#  NEED <path>  : not installed from <path>, or its pyproject.toml/setup.cfg/setup.py changed
#                 since the last install (stamp in $TARGET/.swift-editables.json).
# SWIFT_FORCE_EDITABLE=1 reinstalls all of them.
EDIT_STAMP="$TARGET/.swift-editables.json"
plan="$("$PY" - "$ROOT" "$EDIT_STAMP" "${SWIFT_FORCE_EDITABLE:-0}" "${editables[@]}" <<'PY'
import hashlib, json, os, re, sys
from importlib.metadata import distributions
norm = lambda n: re.sub(r"[-_.]+", "-", n or "").lower()
root, stamp_file, force = os.path.realpath(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
wanted = [os.path.realpath(p) for p in sys.argv[4:]]
try:
    with open(stamp_file) as f:
        stamp = json.load(f)
except (OSError, ValueError):
    stamp = {}
def digest(path):
    h = hashlib.sha256()
    for name in ("pyproject.toml", "setup.cfg", "setup.py"):
        fp = os.path.join(path, name)
        if os.path.isfile(fp):
            h.update(name.encode())
            with open(fp, "rb") as f:
                h.update(f.read())
    return h.hexdigest()
names = {}  # normalized dist name -> path, for the dists we (re)install ourselves
try:
    import tomllib
    for p in wanted:
        with open(os.path.join(p, "pyproject.toml"), "rb") as f:
            names[norm(tomllib.load(f).get("project", {}).get("name"))] = p
except Exception:
    pass
installed = {}  # editable project path -> dist name
for dist in distributions():
    try:
        info = json.loads(dist.read_text("direct_url.json") or "{}")
    except ValueError:
        continue
    if not info.get("dir_info", {}).get("editable"):
        continue
    url = info.get("url", "")
    loc = os.path.realpath(url[7:]) if url.startswith("file://") else ""
    name = dist.metadata["Name"]
    installed[loc] = norm(name)
    if norm(name) in names or loc in wanted:
        continue  # pip replaces it in place
    inside = loc == root or loc.startswith(root + os.sep)
    if not os.path.isdir(loc) or not inside:
        print("STALE", name)
for p in wanted:
    if force or p not in installed or stamp.get(p) != digest(p):
        print("NEED", p)
PY
)"
stale="$(printf '%s\n' "$plan" | sed -n 's/^STALE //p')"
need=()
while IFS= read -r p; do [ -n "$p" ] && need+=("$p"); done < <(printf '%s\n' "$plan" | sed -n 's/^NEED //p')

if [ -n "$stale" ]; then
  log "removing stale editable installs: $(echo $stale)"
  # shellcheck disable=SC2086
  pip uninstall -y -q $stale
fi

if [ ${#need[@]} -gt 0 ]; then
  eargs=()
  for p in "${need[@]}"; do eargs+=(-e "$p"); done
  if ! pip install -q --no-deps --no-build-isolation "${eargs[@]}" 2>"$tmpdir/edit.err"; then
    log "--no-build-isolation editable install failed; retrying each with build isolation"
    tail -n 20 "$tmpdir/edit.err" | sed 's/^/[setup]   /' >&2 || true
    for p in "${need[@]}"; do
      pip install -q --no-deps -e "$p" || die "editable install of ${p#"$ROOT"/} failed"
    done
  fi
fi
# record what is installed now (all wanted paths are current after the step above)
"$PY" - "$EDIT_STAMP" "${editables[@]}" <<'PY'
import hashlib, json, os, sys
stamp = {}
for p in map(os.path.realpath, sys.argv[2:]):
    h = hashlib.sha256()
    for name in ("pyproject.toml", "setup.cfg", "setup.py"):
        fp = os.path.join(p, name)
        if os.path.isfile(fp):
            h.update(name.encode())
            with open(fp, "rb") as f:
                h.update(f.read())
    stamp[p] = h.hexdigest()
tmp = sys.argv[1] + ".tmp"
with open(tmp, "w") as f:
    json.dump(stamp, f, indent=1, sort_keys=True)
os.replace(tmp, sys.argv[1])
PY
log "editable installs: ${#need[@]} of ${#editables[@]} (re)installed in $(elapsed "$t_edit")"

# ---------------------------------------------------------------- forbidden packages
present="$("$PY" - "${FORBIDDEN[@]}" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
for name in sys.argv[1:]:
    try:
        version(name)
        print(name)
    except PackageNotFoundError:
        pass
PY
)"
if [ -n "$present" ]; then
  log "uninstalling forbidden packages (break transformers with CPU torch): $(echo $present)"
  # shellcheck disable=SC2086
  pip uninstall -y -q $present
fi

# ---------------------------------------------------------------- prune old cached venvs
if [ "$LAYOUT" = "cache" ] && [ "$CACHE_KEEP" -gt 0 ] 2>/dev/null; then
  n=0
  while IFS= read -r old; do
    n=$((n + 1))
    [ "$n" -le "$CACHE_KEEP" ] && continue
    [ "$old" = "$TARGET" ] && continue
    old_lock="$LOCK_DIR/.locks/$(printf '%s' "$old" | sha256sum | cut -c1-16).lock"
    if command -v flock >/dev/null; then
      ( exec 8>"$old_lock"; flock -n 8 && rm -rf "$old" && log "pruned old cached venv $old" ) || true
    fi
  done < <(ls -1dt "$CACHE_ROOT"/*/ 2>/dev/null | sed 's:/$::')
fi

# ---------------------------------------------------------------- summary
"$PY" - "$MODE" "$VENV" "$TARGET" "$KEY" "${#editables[@]}" "$(elapsed "$t_start")" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version
mode, venv, target, key, n_edit, took = sys.argv[1:]
def v(name):
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"
where = venv if venv == target else f"{venv} -> {target}"
print(f"[setup] {mode} venv ready in {took}: {where} | python {sys.version.split()[0]} "
      f"torch {v('torch')} transformers {v('transformers')} peft {v('peft')} trl {v('trl')} "
      f"| swift {v('swift')} | {n_edit} editable | key {key}")
PY
