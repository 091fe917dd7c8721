#!/usr/bin/env bash
# npm run demo: set up, build, then boot two local Directus instances with sample data and the
# extension (see scripts/demo.mjs for options).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$ROOT/scripts/setup.sh"
# Set-up may have just installed Node 22: pick it up for what follows.
source "$ROOT/scripts/env.sh"
bash "$ROOT/scripts/build.sh"
exec node "$ROOT/scripts/demo.mjs" "$@"
