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
