#!/usr/bin/env bash
# Builds the worker into build/ (wrangler.toml's [build] command runs this). Skips the
# build when build/ is newer than every source file; --force builds anyway.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
if [ "${1:-}" != "--force" ] && [ -f build/index.js ] && [ -f build/index_bg.wasm ] &&
  [ -z "$(find src Cargo.toml Cargo.lock -newer build/index_bg.wasm -print -quit)" ]; then
  exit 0
fi
[ "${1:-}" = "--force" ] && shift
wasm_build_env
tool_overrides
worker-build --release "$@"
# worker-build's own wasm-opt step is off (Cargo.toml): it always keeps the function-names
# section, 109 KB of the wasm (35 KB gzipped) that only makes panic stacks readable.
# The features are the ones worker-build enables, no newer encodings than workerd reads.
wasm-opt -O --strip-debug --strip-producers \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling \
  build/index_bg.wasm -o build/index_bg.wasm
