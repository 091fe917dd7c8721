#!/usr/bin/env bash
# npm run bench: set up, build, then the benchmark (options: see bench/run.mjs).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$ROOT/scripts/setup.sh"
# Set-up may have just installed Node 22: pick it up for what follows.
source "$ROOT/scripts/env.sh"
bash "$ROOT/scripts/build.sh"
exec node "$ROOT/bench/run.mjs" "$@"
