# Shared by the scripts in this folder: where things are, and how to build for wasm32.
# Source it; it defines variables and functions and changes nothing.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORKER_BUILD_VERSION="0.8.7"
PYTHON_MCP_VERSION="2.3.0"
# The Debian toolchain that carries a wasm32 std source, for machines where rustup cannot
# download the wasm32-unknown-unknown target.
DEBIAN_RUST_PACKAGES="rustc-web cargo-web rust-web-src rust-web-llvm lld-22"
DEBIAN_TOOLCHAIN="debian-web"

log() { printf '\033[1m[dice-mcp]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[dice-mcp] error:\033[0m %s\n' "$*" >&2; exit 1; }

export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export WRANGLER_SEND_METRICS=false

# The wasm-bindgen version Cargo.lock pins; the CLI must be exactly this one.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

# DICE_MCP_WASM_TOOLCHAIN=debian forces the Debian path (to test it where rustup works).
rustup_has_wasm_target() {
  [ "${DICE_MCP_WASM_TOOLCHAIN:-}" != "debian" ] &&
    command -v rustup >/dev/null 2>&1 &&
    rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown
}

debian_toolchain_ready() {
  [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust/library ] &&
    command -v rustup >/dev/null 2>&1 &&
    rustup toolchain list 2>/dev/null | grep -q "^$DEBIAN_TOOLCHAIN"
}

# Sets the environment for a wasm32 build: rustup's target when it has one, else the
# Debian compiler building std from source (build-std).
wasm_build_env() {
  if rustup_has_wasm_target; then
    return 0
  fi
  debian_toolchain_ready || die "no wasm32 toolchain: run 'npm run setup' first"
  export RUSTUP_TOOLCHAIN="$DEBIAN_TOOLCHAIN"
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD="std,panic_abort"
}

# Points worker-build at local tools instead of letting it download them.
tool_overrides() {
  local wbg
  wbg="$(command -v wasm-bindgen || true)"
  if [ -n "$wbg" ] && [ "$("$wbg" --version | awk '{print $NF}')" = "$(wasm_bindgen_version)" ]; then
    export WASM_BINDGEN_BIN="$wbg"
  fi
  [ -x "$ROOT/node_modules/.bin/wasm-opt" ] && export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
  [ -x "$ROOT/node_modules/.bin/esbuild" ] && export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
  return 0
}
