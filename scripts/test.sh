#!/usr/bin/env bash
# The whole test suite: host checks and unit tests, then the built worker in workerd
# driven over HTTP by raw requests and by MCP clients we did not write.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh --tests

log "formatting and lints"
cargo fmt --check || die "the code is not formatted as rustfmt would; run \`cargo fmt\` (it rewrites the files in place), then npm test again"
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --locked --workspace --all-targets --quiet -- -D warnings
  # The worker adapter (crates/mcp-worker/src/adapter/) and the entries exist only on
  # wasm32: lint there too.
  if rustup_has_wasm_target; then
    cargo clippy --locked --workspace --lib --target wasm32-unknown-unknown --quiet -- -D warnings
    # The authorization server's parts, which no worker here builds yet.
    cargo clippy --locked -p mcp-worker --lib --features oauth --target wasm32-unknown-unknown --quiet -- -D warnings
  else
    log "no rustup wasm32 target (Debian toolchain); the adapter is not linted"
  fi
else
  log "clippy is not installed; skipping lints"
fi

log "the library's API docs (every public item documented, no broken links)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked -p mcp-worker --no-deps --quiet
# The library's own modules too, as its tests see them: their links must hold.
RUSTDOCFLAGS="-D warnings" cargo doc --locked -p mcp-worker --no-deps --features unstable --quiet
# And as a worker builds it: the adapter, durable::Binding and task_object! exist on
# wasm32 only.
if rustup_has_wasm_target; then
  RUSTDOCFLAGS="-D warnings" cargo doc --locked -p mcp-worker --no-deps --target wasm32-unknown-unknown --quiet
fi

log "host unit tests"
cargo test --locked --workspace --quiet

log "building the worker and the conformance fixture worker"
bash scripts/build.sh
bash scripts/build.sh --fixture

log "end-to-end tests against the worker in workerd"
node tests/e2e/run.mjs --test-reporter=spec
