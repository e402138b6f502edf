#!/usr/bin/env bash
# Runs each fuzz target for a bounded number of executions (libFuzzer through cargo-fuzz,
# on the host with AddressSanitizer). Not part of `npm test`.
# Usage: npm run fuzz [-- RUNS [TARGET...]]   (RUNS defaults to 1000000; all targets)
# A crash stops its target and is saved under fuzz/artifacts/<target>/; copy the input to
# fuzz/regressions/<target>/ and `cargo test` replays it from then on.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

runs="${1:-1000000}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(http_request bearer_token token_claims key_material key_der task_request uri_template param_headers skill_uri jsonrpc_envelope calls_a_tool oauth_form oauth_authorization oauth_token registration_request metadata_document client_id_url grant_token sealed_value session_cookie oauth_endpoints typed_args)

rustup toolchain list 2>/dev/null | grep -q '^nightly' ||
  die "cargo fuzz needs a nightly toolchain: rustup toolchain install nightly"
if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz (about a minute, once)"
  cargo install --quiet cargo-fuzz
fi

summary=()
for t in "${targets[@]}"; do
  [ -d "fuzz/seeds/$t" ] || die "no fuzz target named $t"
  corpus="fuzz/corpus/$t"
  mkdir -p "$corpus"
  cp -n fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
  log "fuzzing $t for $runs executions"
  out="$(mktemp)"
  start=$(date +%s)
  status=0
  cargo +nightly fuzz run --fuzz-dir fuzz "$t" "$corpus" -- -runs="$runs" -print_final_stats=1 \
    >"$out" 2>&1 || status=$?
  secs=$(( $(date +%s) - start ))
  done_line="$(grep -E '^Done [0-9]+ runs' "$out" | tail -n 1 || true)"
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$out" >&2
    die "$t crashed after ${secs}s; the input is in fuzz/artifacts/$t/. Copy it to fuzz/regressions/$t/ and fix."
  fi
  summary+=("$t: ${done_line:-no summary line} (${secs}s including the build)")
  rm -f "$out"
done
log "no crashes"
printf '  %s\n' "${summary[@]}" >&2
