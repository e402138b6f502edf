#!/usr/bin/env bash
# Copies the starter (starter/) out of the repository to DIR, as an author would, and
# makes it a server of its own there: the library by path (it is not on crates.io yet),
# the workspace's Cargo.lock (so its wasm-bindgen is the CLI setup installed), the
# repository's npm packages in place of `npm install` (the same versions: checked), then
# its host tests and `worker-build --release`, the build workers-rs projects use.
# Usage: starter.sh DIR   (tests/e2e/starter.test.mjs runs it, then serves DIR)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dir="${1:?usage: starter.sh DIR}"
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
cp -r "$ROOT/starter" "$dir"
cp "$ROOT/Cargo.lock" "$dir/Cargo.lock"
sed -i "s|path = \"../crates/mcp-worker\"|path = \"$ROOT/crates/mcp-worker\"|" "$dir/Cargo.toml"
grep -q "path = \"$ROOT/crates/mcp-worker\"" "$dir/Cargo.toml" ||
  die "starter/Cargo.toml no longer depends on ../crates/mcp-worker by path"
node -e '
  const [starter, root] = process.argv.slice(1).map((f) => require(f).devDependencies);
  for (const [name, version] of Object.entries(starter)) {
    if (root[name] !== version) throw new Error(`starter/package.json pins ${name} ${version}; the repository has ${root[name]}`);
  }' "$dir/package.json" "$ROOT/package.json"
ln -s "$ROOT/node_modules" "$dir/node_modules"
# The repository's build folder: the dependencies compiled for the dice worker are
# reused, so the copy compiles only itself and the library.
export CARGO_TARGET_DIR="$ROOT/target"
cd "$dir"
cargo test --quiet
wasm_build_env
tool_overrides
worker-build --release
# What that build ran with, for `wrangler dev` to rebuild the same way with the starter's
# own build command: the tools above instead of downloads, and the same target folder.
env | grep -E '^(PATH|CARGO_TARGET_DIR|RUSTUP_TOOLCHAIN|RUSTC_BOOTSTRAP|CARGO_UNSTABLE_BUILD_STD|WASM_BINDGEN_BIN|WASM_OPT_BIN|ESBUILD_BIN)=' > "$dir/.build-env"
