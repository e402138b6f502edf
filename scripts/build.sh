#!/usr/bin/env bash
# Builds the worker into build/ (wrangler.toml's [build] command runs this).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
wasm_build_env
tool_overrides
exec worker-build --release "$@"
