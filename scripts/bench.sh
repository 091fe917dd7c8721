#!/usr/bin/env bash
# npm run bench: set up, build, then the benchmark (options: see bench/run.mjs).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
# PostgreSQL and MariaDB only when the benchmark runs on one of them (--db).
case " $* " in
  *" --db"*) bash "$ROOT/scripts/setup.sh" --databases ;;
  *) bash "$ROOT/scripts/setup.sh" ;;
esac
# Set-up may have just installed Node 22: pick it up for what follows.
source "$ROOT/scripts/env.sh"
bash "$ROOT/scripts/build.sh"
exec node "$ROOT/bench/run.mjs" "$@"
