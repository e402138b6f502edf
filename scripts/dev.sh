#!/usr/bin/env bash
# Sets up, builds and serves the worker locally in workerd (wrangler dev).
# Extra arguments go to wrangler, e.g. `npm run dev -- --port 9000`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh

ip="127.0.0.1" port="8787" args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ip) ip="$2"; shift 2 ;;
    --ip=*) ip="${1#--ip=}"; shift ;;
    --port) port="$2"; shift 2 ;;
    --port=*) port="${1#--port=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done

url="http://$ip:$port/mcp/"
# A development key pair (first run only) and a token for it, like the seed's server prints.
token="$(bash scripts/token.sh)"
cat >&2 <<MSG

  dice-mcp will serve MCP at $url
  A development token (RS256, audience dice-server, valid 1 hour; another: npm run -s token):

    export TOKEN=$token

  Once wrangler says "Ready", in another terminal (after the export above):

    npx mcp-inspector --cli $url --transport http --header "Authorization: Bearer \$TOKEN" --method tools/list
    npx mcp-inspector --cli $url --transport http --header "Authorization: Bearer \$TOKEN" \\
      --method tools/call --tool-name roll_dice --tool-arg n_dice=3

MSG
exec wrangler dev --ip "$ip" --port "$port" "${args[@]}"
