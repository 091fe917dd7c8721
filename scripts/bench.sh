#!/usr/bin/env bash
# npm run bench: set up, build, then the benchmark (options: see bench/run.mjs).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build.sh"
exec node "$ROOT/bench/run.mjs" "$@"
