#!/usr/bin/env bash
# The main job: set everything up, start the local stack, train on the real 2023-2024 candles, replay
# a real day of 2025 through all seven services and leave the API serving. Arguments go to main.ts
# (bash scripts/main.sh --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/stack.sh start
eval "$(bash scripts/stack.sh env)"
export CRYPTO_SHARED_DATA="${CRYPTO_SHARED_DATA:-$(cd .. && pwd)/shared/data}"
exec node --import tsx scripts/main.ts "$@"
