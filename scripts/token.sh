#!/usr/bin/env bash
# Mints a development token (and creates the dev key pair on first use). See src/bin/dice-token.rs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
exec cargo run --quiet --locked --bin dice-token -- "$@"
