#!/usr/bin/env bash
# Builds the extension into dist/: the Rust core to WASM, its JS bindings, then the Directus
# bundle (dist/api.js, dist/app.js) with the .wasm beside api.js.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

cargo build --release --locked --target wasm32-unknown-unknown --quiet
# `__wbg_reset_state`: a fresh instance after a trap (js-shim/endpoint/core.js).
wasm-bindgen --target web --experimental-reset-state-function --out-dir target/pkg target/wasm32-unknown-unknown/release/table_migration.wasm
# The shim's JS against the bindings' .d.ts, generated from the Rust types (tsify): a type error
# fails the build.
tsc --noEmit -p js-shim/endpoint
# The admin page's scripts, against the same types (the events and reports the endpoint streams).
tsc --noEmit -p js-shim/module
directus-extension build --no-minify >/dev/null
cp target/pkg/table_migration_bg.wasm dist/

wasm_bytes=$(wc -c < dist/table_migration_bg.wasm)
gz_bytes=$(gzip -c dist/table_migration_bg.wasm | wc -c)
printf '[build] dist/table_migration_bg.wasm %s KiB (%s KiB gzipped), api.js %s KiB, app.js %s KiB\n' \
  $((wasm_bytes / 1024)) $((gz_bytes / 1024)) $(( $(wc -c < dist/api.js) / 1024 )) $(( $(wc -c < dist/app.js) / 1024 ))
