#!/usr/bin/env bash
# Installs everything building, running and testing dice-mcp needs. Idempotent: each step
# checks first and is skipped in well under a second when its tool is already there.
# Usage: setup.sh [--tests | --npm]   (--tests also installs the Python MCP client and the
# headless browser the tests drive; --npm installs only the npm packages, all that
# `npm run smoke` needs)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

# 1. npm packages (wrangler, Node 22, the MCP clients used by the tests, esbuild, wasm-opt).
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat node_modules/.dice-mcp-lock 2>/dev/null)" != "$lock_hash" ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.dice-mcp-lock
fi
[ "${1:-}" = "--npm" ] && exit 0

# 2. Rust and a wasm32 standard library.
command -v cargo >/dev/null 2>&1 || die "cargo is not installed: install Rust from https://rustup.rs"
if ! rustup_has_wasm_target && ! debian_toolchain_ready; then
  log "adding the wasm32-unknown-unknown target with rustup"
  if [ "${DICE_MCP_WASM_TOOLCHAIN:-}" = "debian" ] ||
    ! timeout 45 rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 ||
      die "rustup could not add wasm32-unknown-unknown and there is no apt-get for the fallback"
    log "rustup could not download it; installing Debian's wasm-capable Rust ($DEBIAN_RUST_PACKAGES)"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends $DEBIAN_RUST_PACKAGES >/dev/null
    # worker-build checks that the target's library directory exists; build-std fills it.
    $sudo_cmd mkdir -p /usr/lib/rustlib/wasm32-unknown-unknown/lib
    rustup toolchain link "$DEBIAN_TOOLCHAIN" /usr
  fi
fi

# 3. worker-build, and the wasm-bindgen CLI at exactly Cargo.lock's version.
installed_wb="$(worker-build --version 2>/dev/null | awk '{print $NF}' || true)"
if [ "$installed_wb" != "$WORKER_BUILD_VERSION" ]; then
  log "installing worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
  cargo install --quiet worker-build --version "$WORKER_BUILD_VERSION"
fi
want_wbg="$(wasm_bindgen_version)"
installed_wbg="$(wasm-bindgen --version 2>/dev/null | awk '{print $NF}' || true)"
if [ "$installed_wbg" != "$want_wbg" ]; then
  log "installing wasm-bindgen-cli $want_wbg (a few minutes, once)"
  cargo install --quiet wasm-bindgen-cli --version "$want_wbg" --force
fi

# 4. For the tests only: the official Python MCP SDK (a real 2026-07-28 client), in a venv.
if [ "${1:-}" = "--tests" ]; then
  venv="$ROOT/.cache/venv"
  if [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))' 2>/dev/null)" != "$PYTHON_MCP_VERSION" ]; then
    log "installing the Python MCP SDK $PYTHON_MCP_VERSION into .cache/venv"
    command -v python3 >/dev/null 2>&1 || die "python3 is needed for the Python client tests"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "mcp==$PYTHON_MCP_VERSION"
  fi
  # The sign-in test (tests/e2e/oauth.test.mjs) makes a TLS certificate with openssl.
  if ! command -v openssl >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "openssl is needed for the sign-in test"
    log "installing openssl"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends openssl >/dev/null
  fi
fi

# 5. For the tests only: a headless browser for the MCP Apps view test (tests/e2e/apps.test.mjs).
# Debian's chromium; playwright-core drives it and downloads no browser of its own.
if [ "${1:-}" = "--tests" ] && [ ! -x /usr/bin/chromium ] && [ -z "${DICE_MCP_CHROMIUM:-}" ]; then
  command -v apt-get >/dev/null 2>&1 ||
    die "the browser test needs Chromium: install it, or set DICE_MCP_CHROMIUM to its executable"
  log "installing Debian's chromium for the browser test (once; about a minute)"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  started=$SECONDS
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  log "chromium installed in $((SECONDS - started)) s"
fi
