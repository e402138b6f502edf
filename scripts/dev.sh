#!/usr/bin/env bash
# Sets up, builds and serves the worker locally in workerd (wrangler dev).
#   npm run dev                  development key and token (or your own keys: see below)
#   npm run dev -- --oauth       the worker as its own OAuth authorization server (the
#                                `oauth` build, wrangler.oauth.toml), people signing in
#                                at a local OpenID provider on the next port (--oauth-port
#                                P picks it), for signing in as ChatGPT, Claude or the MCP
#                                Inspector do. Its keys and the provider's client are made
#                                on first use, in keys/dev-oauth.env.
# Other arguments go to wrangler, e.g. `npm run dev -- --port 9000`.
# Keys: with JWT_JWKS_URL or AUTHORIZATION_SERVERS in .dev.vars, your configuration is
# served as it stands (no development key is added); otherwise the development key pair.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

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

bash scripts/setup.sh
if [ -n "$oauth" ]; then
  bash scripts/build.sh --oauth
else
  bash scripts/build.sh
fi

base="http://$ip:$port"
url="$base/mcp/"

# The value .dev.vars gives NAME (quotes removed), or nothing.
dev_var() {
  [ -f .dev.vars ] || return 0
  sed -n "s/^$1=//p" .dev.vars | tail -n 1 | sed 's/^"\(.*\)"$/\1/; s/^'"'"'\(.*\)'"'"'$/\1/'
}

vars=() config=() wrangler_env=()
if [ -n "$oauth" ]; then
  oauth_port="${oauth_port:-$((port + 1))}"
  # The person the local provider signs in, and the only one the worker lets in.
  account="dev-user"
  # The worker's secrets as an authorization server, made once and kept (ignored by git):
  # its signing key (a JWKS, as `npm run oauth-keys` makes), the key that seals its
  # cookies and registrations, and the client it is at the local provider. Kept, they
  # let tokens and registrations outlive a restart, as grants do in .wrangler/state.
  secrets="keys/dev-oauth.env"
  if [ ! -f "$secrets" ]; then
    log "creating the development authorization server's keys and provider client ($secrets)"
    mkdir -p keys
    hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
    (
      umask 077
      {
        echo "# npm run dev -- --oauth: the worker's development secrets as an authorization server."
        echo "# Delete this file for new ones (signed-in clients then sign in again)."
        printf "OAUTH_SIGNING_KEYS='%s'\n" "$(node scripts/oauth-keys.mjs)"
        printf 'OAUTH_SEALING_KEY=%s\n' "$(hex 32)"
        printf 'OAUTH_UPSTREAM_CLIENT_ID=dice-mcp-dev-%s\n' "$(hex 4)"
        printf 'OAUTH_UPSTREAM_CLIENT_SECRET=%s\n' "$(hex 32)"
      } > "$secrets.tmp"
    )
    mv "$secrets.tmp" "$secrets"
  fi
  secret() {
    local v
    v="$(sed -n "s/^$1=//p" "$secrets" | tail -n 1 | sed "s/^'\(.*\)'$/\1/")"
    [ -n "$v" ] || die "$secrets has no $1: delete the file to have it made again"
    printf '%s' "$v"
  }
  # wrangler reads these two from the file itself; here they are only checked.
  secret OAUTH_SIGNING_KEYS >/dev/null
  secret OAUTH_SEALING_KEY >/dev/null
  client_id="$(secret OAUTH_UPSTREAM_CLIENT_ID)"
  client_secret="$(secret OAUTH_UPSTREAM_CLIENT_SECRET)"
  # A scope for tokens to carry, so that the consent page shows one.
  scopes="$(dev_var REQUIRED_SCOPES)"
  scopes="${scopes:-dice:roll}"
  # The OpenID provider people sign in with, knowing the worker as a static client.
  # Its client secret goes in the environment, not on the command line, which any user of
  # the machine can read (ps).
  coproc AS {
    OAUTH_UPSTREAM_CLIENT_SECRET="$client_secret" exec node scripts/oauth-server.mjs \
      --port "$oauth_port" --account "$account" --client-id "$client_id" \
      --redirect-uri "$base/oauth/callback" 2>&1
  }
  as_pid=$AS_PID
  trap 'kill "$as_pid" 2>/dev/null || true' EXIT
  issuer=""
  while read -r line <&"${AS[0]}"; do
    case "$line" in
      "ready "*) issuer="${line#ready }"; break ;;
      *) printf '%s\n' "$line" >&2 ;;
    esac
  done
  [ -n "$issuer" ] || die "the local OpenID provider did not start"
  # Its output (each grant) goes on to the terminal beside wrangler's. A background job
  # does not inherit the coprocess's descriptors, so it reads a copy.
  exec {as_out}<&"${AS[0]}"
  cat <&"$as_out" >&2 &
  # The worker's variables come from files, not from wrangler's command line, which any
  # user of the machine can read (ps): .dev.vars, then the secrets (they win over
  # .dev.vars), then this run's values. Given files, wrangler reads no .dev.vars of its
  # own (nor .dev.vars.ENV or .env), so a copy of it is named first. wrangler expands
  # $NAME in such files, which it does not in .dev.vars: every $ is escaped, to reach the
  # worker as written. The worker issues and checks its own tokens: the variables of a
  # resource server trusting another authorization server are blanked (the worker refuses
  # them beside OAUTH_*), and so is ALLOW_UNAUTHENTICATED.
  run_vars=".wrangler/dev-oauth-$port.env" dev_vars_copy=".wrangler/dev-oauth-$port.dev.vars"
  mkdir -p .wrangler
  trap 'kill "$as_pid" 2>/dev/null || true; rm -f "$run_vars" "$dev_vars_copy"' EXIT
  # Stopped by a signal (Ctrl-C, a kill), bash runs the EXIT trap only through these.
  trap 'exit 130' INT
  trap 'exit 143' TERM
  quoted() {
    case "$2" in
      *"'"* | *$'\n'*) die "$1 holds a quote or a line break, which npm run dev -- --oauth cannot pass on: '$2'" ;;
    esac
    printf "%s='%s'\n" "$1" "${2//\$/\\\$}"
  }
  (
    umask 077
    {
      echo "# npm run dev -- --oauth on port $port: this run's variables (made at each start)."
      for name in JWT_PUBLIC_KEY JWT_JWKS_URL JWT_ISSUER AUTHORIZATION_SERVERS JWT_AUDIENCE \
        ALLOW_UNAUTHENTICATED; do
        quoted "$name" ""
      done
      quoted PUBLIC_URL "$base"
      quoted REQUIRED_SCOPES "$scopes"
      quoted OAUTH_UPSTREAM_ISSUER "$issuer"
      quoted OAUTH_ALLOWED_USERS "$account"
    } > "$run_vars"
    rm -f "$dev_vars_copy"
    if [ -f .dev.vars ]; then
      sed 's/\$/\\$/g' .dev.vars > "$dev_vars_copy"
    fi
  )
  [ ! -f "$dev_vars_copy" ] || vars+=(--env-file "$dev_vars_copy")
  vars+=(--env-file "$secrets" --env-file "$run_vars")
  # Env files only count while this is true, and the shell's own environment must not
  # win over them.
  wrangler_env=(CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV=true CLOUDFLARE_INCLUDE_PROCESS_ENV=false)
  config=(-c wrangler.oauth.toml)
  cat >&2 <<MSG

  dice-mcp will serve MCP at $url and be its own OAuth 2.1 authorization server,
  issuer $base (the oauth build, wrangler.oauth.toml): metadata, registration by DCR
  or client metadata document, PKCE, RS256 access tokens for $url (scope
  $scopes), refresh tokens, grants in Durable Objects under .wrangler/state.

  Signing in: the worker sends the browser to a local OpenID provider at $issuer
  (oidc-provider), whose sign-in approves at once as "$account" ($account@example.com),
  the one user OAUTH_ALLOWED_USERS lets in; back at the worker, its own consent page
  asks to allow the client.

  Its development keys and its client at the provider: $secrets (made on first
  use; delete it for new ones).

  Once wrangler says "Ready", connect a client that signs in by itself:

    MCP Inspector:  npx mcp-inspector --cli $url --transport http --method tools/list
                    (opens the sign-in in your browser), or the web UI: npx mcp-inspector,
                    Transport "Streamable HTTP", URL $url, Connect
    Claude Code:    claude mcp add --transport http dice $url
                    then /mcp in Claude Code, pick "dice", "Authenticate"
    Headless check: npm run -s oauth-client -- $url
                    (signs in, answers the consent page, lists tools, rolls dice)

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
env "${wrangler_env[@]}" wrangler dev "${config[@]}" --ip "$ip" --port "$port" "${vars[@]}" "${args[@]}"
