#!/usr/bin/env bash
# The test command: sets everything up on a fresh machine, starts the local stack (Kafka,
# Elasticsearch, PostgreSQL, MLflow), runs every check and test suite, and stops what it started.
# Usage: bash scripts/test.sh [--skip-setup]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LOG_DIR="$ROOT/.data/test-logs"
mkdir -p "$LOG_DIR"

step() { printf '\n\033[1m== %s\033[0m (%s)\n' "$*" "$(date +%H:%M:%S)"; }

if [[ "${1:-}" != "--skip-setup" ]]; then
  step "setup"
  bash scripts/setup.sh
fi

started_stack=0
stop_stack() {
  if [[ $started_stack == 1 ]]; then
    step "stopping the stack this run started"
    bash scripts/stack.sh stop || true
  fi
}
trap stop_stack EXIT
if ! bash scripts/stack.sh status >/dev/null 2>&1; then
  step "starting the local stack"
  bash scripts/stack.sh start
  started_stack=1
fi
# Redis is optional for the services but the API's shared rate-limit tests need it.
bash scripts/stack.sh start redis
eval "$(bash scripts/stack.sh env)"
export CRYPTO_SHARED_DATA="${CRYPTO_SHARED_DATA:-$(cd "$ROOT/.." && pwd)/shared/data}"

total_pass=0
total_fail=0
failed_suites=()

# Runs one suite, keeps its output in a log, and adds its counts to the totals.
suite() {
  local name=$1
  shift
  step "$name"
  local log="$LOG_DIR/$name.log"
  local status=0
  "$@" 2>&1 | tee "$log" || status=$?
  local pass fail
  # (grep finds nothing in the logs of checks that are not test runners: `|| true` under pipefail)
  pass=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}' || true)
  fail=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}' || true)
  if [[ -z "$pass" ]]; then # pytest's summary line
    pass=$(grep -oE '[0-9]+ passed' "$log" | tail -1 | awk '{print $1}' || true)
    fail=$(grep -oE '[0-9]+ (failed|error)' "$log" | awk '{s+=$1} END {print s+0}' || true)
  fi
  total_pass=$((total_pass + ${pass:-0}))
  total_fail=$((total_fail + ${fail:-0}))
  if [[ $status != 0 ]]; then failed_suites+=("$name"); fi
}

suite typecheck npm run --silent typecheck
suite lint npm run --silent lint
suite format npm run --silent format:check
suite unit npm run --silent test:unit
suite integration npm run --silent test:integration
suite trainer bash -c 'cd ml/trainer && ../../.venv/bin/ruff check . && ../../.venv/bin/mypy src && ../../.venv/bin/pytest -q'
suite e2e npm run --silent test:e2e

step "summary"
if [[ ${#failed_suites[@]} -gt 0 ]]; then
  echo "failed suites: ${failed_suites[*]} (logs in $LOG_DIR)"
fi
echo "tests: $total_pass passed, $total_fail failed"
[[ ${#failed_suites[@]} -eq 0 ]]
