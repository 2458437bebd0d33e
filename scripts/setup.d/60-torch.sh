#!/usr/bin/env bash
# PyTorch for the trainer's torch_mlp candidate: the `torch` extra of ml/trainer (pinned there) into
# the project venv. PyPI's Linux x86_64 torch wheel requires the CUDA runtime packages (nvidia-*,
# triton): ~5.4 GB installed, about a minute on these machines. No CPU-only wheel is published on
# PyPI for this platform, and the wheel installed without its CUDA packages fails at `import torch`
# (measurements and the alternatives tried: ml/trainer/README.md, "PyTorch on this machine").
# Idempotent: does nothing when the pinned version already imports.
set -euo pipefail
# shellcheck disable=SC2034  # read by log/die in lib/common.sh
LOG_TAG=setup
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

SETUP_LOG_DIR="${SETUP_LOG_DIR:-$CRYPTO_DATA_DIR/logs/setup}"
NEEDED_MB=7000 # installed size plus pip's unpacking room

if [[ "${SKIP_PYTHON:-0}" == 1 ]]; then
  log "torch … skipped (--skip-python)"
  exit 0
fi
python="$CRYPTO_VENV/bin/python"
pyproject="$CRYPTO_REPO_DIR/ml/trainer/pyproject.toml"
[[ -x "$python" ]] || die "$EXIT_PREREQ" "torch: $python not found; the python venv step of scripts/setup.sh creates it"
pin="$(sed -n 's/^[[:space:]]*"torch==\([^"]*\)".*/\1/p' "$pyproject" | head -n1)"
[[ -n "$pin" ]] || die "$EXIT_PREREQ" "torch: no \"torch==VERSION\" pin in $pyproject"

installed="$("$python" -c 'import torch; print(torch.__version__.split("+")[0])' 2>/dev/null || true)"
if [[ "$installed" == "$pin" ]]; then
  log "torch … present ($installed)"
  exit 0
fi

venv_fs="$(dirname "$CRYPTO_VENV")"
free_mb="$(df -Pm "$venv_fs" | awk 'NR==2 {print $4}')"
if [[ -n "$free_mb" && "$free_mb" -lt "$NEEDED_MB" ]]; then
  die "$EXIT_PREREQ" "torch: $venv_fs has ${free_mb} MB free; torch $pin with its CUDA packages needs about ${NEEDED_MB} MB"
fi

mkdir -p "$SETUP_LOG_DIR"
logfile="$SETUP_LOG_DIR/torch-pip-install.log"
log "torch … installing $pin with its CUDA packages (~5.4 GB, about a minute; PyPI)"
started=$SECONDS
# --no-cache-dir: pip's HTTP cache stores nothing for this registry (measured), and the wheels are 2.9 GB.
if ! "$CRYPTO_VENV/bin/pip" install --no-cache-dir -e "$CRYPTO_REPO_DIR/ml/trainer[torch]" >"$logfile" 2>&1; then
  tail -n 25 "$logfile" | sed 's/^/    | /' >&2
  die "$EXIT_DOWNLOAD" "pip install -e 'ml/trainer[torch]' failed (PyPI; log: $logfile)"
fi
installed="$("$python" -c 'import torch; print(torch.__version__.split("+")[0])' 2>>"$logfile" || true)"
[[ "$installed" == "$pin" ]] || die "$EXIT_PREREQ" "torch: installed, but 'import torch' gives '${installed:-an error}', not $pin (log: $logfile)"
log "torch … installed $installed in $((SECONDS - started)) s"
