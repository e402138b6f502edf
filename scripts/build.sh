#!/usr/bin/env bash
# Builds the worker into build/ (wrangler.toml's [build] command runs this). Skips the
# build when build/ is newer than every source file; --force builds anyway.
# --fixture builds the conformance fixture worker (tests/conformance) instead;
# --crate DIR builds the worker crate in DIR (a benchmark peer, bench/peers/floor-rs).
# --oauth builds the dice worker with its authorization server (the `oauth` feature) into
# build-oauth/ instead (wrangler.oauth.toml; `npm run dev -- --oauth`): build/ stays the
# product.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
force="" crate="$ROOT" sources=(src crates Cargo.toml Cargo.lock .cargo scripts/build.sh scripts/lib.sh)
out_name="build" cargo_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1; shift ;;
    --oauth)
      out_name="build-oauth"
      cargo_args=(--out-dir build-oauth --features oauth)
      shift ;;
    --fixture)
      crate="$ROOT/tests/conformance"
      sources+=(tests/conformance/src tests/conformance/Cargo.toml examples)
      shift ;;
    --crate)
      crate="$ROOT/$2"
      sources=("$2" Cargo.lock .cargo scripts/build.sh scripts/lib.sh)
      shift 2 ;;
    *) break ;;
  esac
done
out="$crate/$out_name"
if [ -z "$force" ] && [ -f "$out/index.js" ] && [ -f "$out/index_bg.wasm" ] &&
  [ -z "$(find "${sources[@]}" -newer "$out/index_bg.wasm" -print -quit)" ]; then
  exit 0
fi
wasm_build_env
tool_overrides
(cd "$crate" && worker-build --release "${cargo_args[@]}" "$@")
# worker-build's own wasm-opt step is off (Cargo.toml): it always keeps the function-names
# section, 109 KB of the wasm (35 KB gzipped) that only makes panic stacks readable.
# The features are the ones worker-build enables, no newer encodings than workerd reads,
# and SIMD, which the Rust build uses (.cargo/config.toml).
# -ocimfs=20: a function with one caller is inlined only if it is small (20 in wasm-opt's
# own size measure); by default wasm-opt inlines every such function, whatever its size.
# That default merged the pipeline into a few functions of up to 49 KB, which V8 compiles
# whole, every branch, on their first call. Kept apart: the upload is 6.9 KiB smaller
# gzipped and the first answer compiles less, the first tools/call a little more (the
# measurements are in the history of docs/benchmarks.md). Of 0, 3, 5, 10, 20, 40, 100
# and 1000, 20 gave the smallest gzip.
# A failed wasm-opt leaves no build behind: the unoptimised wasm would look fresh.
wasm-opt -O -ocimfs=20 --strip-debug --strip-producers \
  --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
  --enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling \
  --enable-simd "$out/index_bg.wasm" -o "$out/index_bg.wasm" || { rm -f "$out/index_bg.wasm"; exit 1; }
