#!/usr/bin/env bash
# scripts/install_browser.sh - make sure a chromium for the UI tests is installed (Debian/Ubuntu packages).
#
# The swift-ui tests drive it through Playwright's `executable_path`; Playwright's own browser
# download host is not reachable from CI machines, so it is never used. Idempotent: does
# nothing when chromium (or $SWIFT_TEST_CHROMIUM) is already there.
set -euo pipefail

for name in "${SWIFT_TEST_CHROMIUM:-}" chromium chromium-browser google-chrome; do
  if [ -n "$name" ] && command -v "$name" >/dev/null 2>&1; then
    echo "[browser] using $(command -v "$name")"
    exit 0
  fi
done
command -v apt-get >/dev/null || { echo "[browser] ERROR: no chromium and no apt-get: install chromium" >&2; exit 1; }
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "[browser] installing Debian's chromium (about a minute)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || true   # a stale index only; the install below says if it matters
$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "[browser] installed $(command -v chromium)"
