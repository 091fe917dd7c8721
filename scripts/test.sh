#!/usr/bin/env bash
# npm test: set up, build, then every test: the Rust core natively, then end-to-end tests on
# real Directus instances of every pinned version.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bash "$ROOT/scripts/setup.sh" --browser --databases
# Set-up may have just installed Node 22: pick it up for what follows.
source "$ROOT/scripts/env.sh"
bash "$ROOT/scripts/build.sh"
cd "$ROOT"

echo "[test] Rust core (cargo test), then clippy: no unwrap, expect, indexing or panic outside tests"
cargo test --locked --quiet
cargo clippy --locked --quiet --all-targets -- -D warnings

echo "[test] the built bundle in Node, then end to end on Directus ${DIRECTUS_VERSIONS}"
# The timeout bounds each test file: data.test.mjs runs 12 suites (3 databases x 2 versions x 2
# transports), about 10 minutes on a busy 2-core machine. Two files at a time: much of a suite's
# time is waiting (fault proxies' delays, retries' backoff, heartbeats), which the other file fills
# (Node's default on 2 cores is one file at a time). Each file has its own instances, database
# servers and ports; the template databases are shared under a lock.
# The second reporter prints the ten slowest files at the end.
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=./scripts/lib/slowest-reporter.mjs --test-reporter-destination=stdout \
  --test-concurrency=2 --test-timeout=1800000 'tests/node/*.test.mjs' 'tests/e2e/*.test.mjs'
