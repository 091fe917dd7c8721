#!/usr/bin/env bash
# Builds the extension into dist/: the Rust core to WASM, its JS bindings, then the Directus
# bundle (dist/api.js, dist/app.js) and the command line (dist/cli.js) with the .wasm beside them.
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
# The command line's JS too.
tsc --noEmit -p js-shim/cli
directus-extension build --no-minify >/dev/null
cp target/pkg/table_migration_bg.wasm dist/
# The command line (package.json's bin): one ESM file beside the same .wasm. Its CommonJS
# dependencies (cli-progress) need a `require`.
esbuild js-shim/cli/main.js --bundle --platform=node --format=esm --target=node22 --log-level=warning \
  --outfile=dist/cli.js \
  --banner:js='#!/usr/bin/env node
import { createRequire as __cliRequire } from "node:module"; const require = __cliRequire(import.meta.url);'
chmod +x dist/cli.js

wasm_bytes=$(wc -c < dist/table_migration_bg.wasm)
gz_bytes=$(gzip -c dist/table_migration_bg.wasm | wc -c)
printf '[build] dist/table_migration_bg.wasm %s KiB (%s KiB gzipped), api.js %s KiB, app.js %s KiB, cli.js %s KiB\n' \
  $((wasm_bytes / 1024)) $((gz_bytes / 1024)) $(( $(wc -c < dist/api.js) / 1024 )) $(( $(wc -c < dist/app.js) / 1024 )) $(( $(wc -c < dist/cli.js) / 1024 ))
