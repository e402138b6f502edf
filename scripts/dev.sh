#!/usr/bin/env bash
# Sets up, builds and serves the worker locally in workerd (wrangler dev).
#   npm run dev                  development key and token (or your own keys: see below)
#   npm run dev -- --oauth       a local OAuth authorization server beside the worker, for
#                                signing in as ChatGPT, Claude or the MCP Inspector do
#                                (--oauth-port P picks its port, default the worker's + 1)
# Other arguments go to wrangler, e.g. `npm run dev -- --port 9000`.
# Keys: with JWT_JWKS_URL or AUTHORIZATION_SERVERS in .dev.vars, your configuration is
# served as it stands (no development key is added); otherwise the development key pair.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
bash scripts/build.sh

ip="127.0.0.1" port="8787" oauth="" oauth_port="" args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ip) ip="$2"; shift 2 ;;
    --ip=*) ip="${1#--ip=}"; shift ;;
    --port) port="$2"; shift 2 ;;
    --port=*) port="${1#--port=}"; shift ;;
    --oauth) oauth=1; shift ;;
    --oauth-port) oauth=1; oauth_port="$2"; shift 2 ;;
    --oauth-port=*) oauth=1; oauth_port="${1#--oauth-port=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done

base="http://$ip:$port"
url="$base/mcp/"

# The value .dev.vars gives NAME (quotes removed), or nothing.
dev_var() {
  [ -f .dev.vars ] || return 0
  sed -n "s/^$1=//p" .dev.vars | tail -n 1 | sed 's/^"\(.*\)"$/\1/; s/^'"'"'\(.*\)'"'"'$/\1/'
}

vars=()
if [ -n "$oauth" ]; then
  oauth_port="${oauth_port:-$((port + 1))}"
  # A scope for tokens to carry, so that the sign-in shows one (and clients that register
  # with an empty scope when the metadata lists none, as the Inspector does, are not
  # refused by the AS).
  scopes="$(dev_var REQUIRED_SCOPES)"
  scopes="${scopes:-dice:roll}"
  coproc AS { exec node scripts/oauth-server.mjs --port "$oauth_port" --resource "$base" --scopes "$scopes" 2>&1; }
  as_pid=$AS_PID
  trap 'kill "$as_pid" 2>/dev/null || true' EXIT
  issuer=""
  while read -r line <&"${AS[0]}"; do
    case "$line" in
      "ready "*) issuer="${line#ready }"; break ;;
      *) printf '%s\n' "$line" >&2 ;;
    esac
  done
  [ -n "$issuer" ] || die "the local authorization server did not start"
  # Its output (each grant) goes on to the terminal beside wrangler's. A background job
  # does not inherit the coprocess's descriptors, so it reads a copy.
  exec {as_out}<&"${AS[0]}"
  cat <&"$as_out" >&2 &
  # These win over .dev.vars: the worker trusts the local AS only.
  vars=(--var "JWT_PUBLIC_KEY:" --var "JWT_JWKS_URL:$issuer/jwks" --var "JWT_ISSUER:$issuer"
    --var "AUTHORIZATION_SERVERS:$issuer" --var "JWT_AUDIENCE:" --var "PUBLIC_URL:$base"
    --var "ALLOW_UNAUTHENTICATED:" --var "REQUIRED_SCOPES:$scopes")
  cat >&2 <<MSG

  dice-mcp will serve MCP at $url, signing in through a local OAuth authorization server
  at $issuer (oidc-provider: registration by DCR or client metadata document, PKCE,
  RS256 JWT access tokens for $url, refresh tokens). Its sign-in page approves at once,
  as the user "dev-user", whatever the client asks.

  The worker serves with: JWT_JWKS_URL=$issuer/jwks JWT_ISSUER=$issuer
  AUTHORIZATION_SERVERS=$issuer PUBLIC_URL=$base REQUIRED_SCOPES=$scopes
  (audience: $url or ${base}/mcp)

  Once wrangler says "Ready", connect a client that signs in by itself:

    MCP Inspector:  npx mcp-inspector --cli $url --transport http --method tools/list
                    (opens the sign-in in your browser), or the web UI: npx mcp-inspector,
                    Transport "Streamable HTTP", URL $url, Connect
    Claude Code:    claude mcp add --transport http dice $url
                    then /mcp in Claude Code, pick "dice", "Authenticate"
    Headless check: npm run -s oauth-client -- $url

MSG
elif [ -n "$(dev_var JWT_JWKS_URL)" ] || [ -n "$(dev_var AUTHORIZATION_SERVERS)" ]; then
  # The user's own identity provider: served as .dev.vars has it.
  [ -n "$(dev_var PUBLIC_URL)" ] || vars=(--var "PUBLIC_URL:$base")
  cat >&2 <<MSG

  dice-mcp will serve MCP at $url with your keys from .dev.vars (no development key added):
    JWT_JWKS_URL=$(dev_var JWT_JWKS_URL)
    JWT_ISSUER=$(dev_var JWT_ISSUER)
    AUTHORIZATION_SERVERS=$(dev_var AUTHORIZATION_SERVERS)
    JWT_AUDIENCE=$(dev_var JWT_AUDIENCE)
    PUBLIC_URL=$(dev_var PUBLIC_URL)${vars:+$base (set by npm run dev)}
    JWT_PUBLIC_KEY: $([ -n "$(dev_var JWT_PUBLIC_KEY)" ] && echo "set as well: tokens it verifies are accepted too" || echo "not set")
  With an authorization server and no JWT_AUDIENCE, tokens must be for $url or ${base}/mcp.

MSG
else
  # A development key pair (first run only) and a token for it, like the seed's server prints.
  token="$(bash scripts/token.sh)"
  cat >&2 <<MSG

  dice-mcp will serve MCP at $url with the development key (keys/dev-private.pem, its
  public half as JWT_PUBLIC_KEY in .dev.vars). A development token (RS256, audience
  dice-server, valid 1 hour; another: npm run -s token):

    export TOKEN=$token

  Once wrangler says "Ready", in another terminal (after the export above):

    npx mcp-inspector --cli $url --transport http --header "Authorization: Bearer \$TOKEN" --method tools/list
    npx mcp-inspector --cli $url --transport http --header "Authorization: Bearer \$TOKEN" \\
      --method tools/call --tool-name roll_dice --tool-arg n_dice=3

  To sign in through OAuth instead: npm run dev -- --oauth

MSG
fi
wrangler dev --ip "$ip" --port "$port" "${vars[@]}" "${args[@]}"
