#!/usr/bin/env bash
# Headless Chromium from Debian, for the dashboard's browser test (services/dashboard/test), which
# drives it with playwright-core through `executablePath` (no browser download from the internet).
# Idempotent: does nothing when the `chromium` package is installed.
set -euo pipefail
# shellcheck disable=SC2034  # read by log/die in lib/common.sh
LOG_TAG=setup
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

SETUP_LOG_DIR="${SETUP_LOG_DIR:-$CRYPTO_DATA_DIR/logs/setup}"

installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]; }

# run_logged LOGFILE CMD... : quiet on success; the tail of the log on failure.
run_logged() {
  local logfile="$1"
  shift
  if ! "$@" >"$logfile" 2>&1; then
    tail -n 25 "$logfile" | sed 's/^/    | /' >&2
    return 1
  fi
}

if installed chromium && command -v chromium >/dev/null 2>&1; then
  log "chromium … present ($(chromium --version 2>/dev/null | head -n1 || echo 'version unknown'))"
  exit 0
fi
if ! is_root; then
  die "$EXIT_PREREQ" "Debian's chromium is missing (the dashboard's browser test needs it). Run as root, or: sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core"
fi

log "chromium … installing from the Debian archive"
mkdir -p "$SETUP_LOG_DIR"
run_logged "$SETUP_LOG_DIR/chromium-apt-update.log" apt-get update ||
  die "$EXIT_DOWNLOAD" "apt-get update failed (log: $SETUP_LOG_DIR/chromium-apt-update.log)"
# fonts-dejavu-core: so the page's text renders (and screenshots are readable) on a bare machine.
run_logged "$SETUP_LOG_DIR/chromium-apt-install.log" \
  env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core ||
  die "$EXIT_DOWNLOAD" "apt-get could not install chromium (log: $SETUP_LOG_DIR/chromium-apt-install.log)"
command -v chromium >/dev/null 2>&1 || die "$EXIT_PREREQ" "chromium was installed but is not on PATH"
log "chromium … installed ($(chromium --version 2>/dev/null | head -n1 || echo 'version unknown'))"
