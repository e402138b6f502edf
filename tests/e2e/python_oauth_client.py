"""Signs in to the worker's authorization server with the official Python SDK's own OAuth
client (mcp 2.x, `mcp.client.auth.OAuthClientProvider`), from nothing, and prints what it saw
as one JSON line.

Usage: python_oauth_client.py URL   (the worker's MCP URL, e.g. http://127.0.0.1:8787/mcp/)

The SDK does the OAuth part: the 401, protected resource metadata, authorization server
metadata, dynamic client registration, PKCE, state and iss checks, the token request. The
person's browser is played here, headlessly, by the redirect handler: it follows the
redirects by hand with a cookie jar of its own, through the upstream sign-in (oidc-provider
logs in by itself), answers our consent page like a person pressing "approve", and stops
at the client's loopback redirect URI, which nothing listens on. The callback handler then
hands the SDK the code, state and iss from that redirect.
authorization-server-python.test.mjs asserts on the output.
"""

import asyncio
import base64
import json
import re
import sys
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

# Where the authorization server sends the browser back: a native client's loopback
# redirect (RFC 8252 §7.3). The headless browser stops there; nothing needs to listen.
REDIRECT_URI = "http://127.0.0.1:53682/callback"


class MemoryStorage:
    """The SDK's TokenStorage, in memory: a client that has never signed in."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class HeadlessBrowser:
    """The person's browser: the SDK's redirect handler and callback handler.

    Like signInHeadless in scripts/oauth-server.mjs: manual redirects, a cookie jar (here
    one per origin), and the consent form answered with a POST carrying its hidden session
    and csrf fields, the decision, and the worker's Origin.
    """

    def __init__(self, redirect_uri: str, decision: str = "approve") -> None:
        self.redirect_uri = redirect_uri
        self.decision = decision
        self.authorizations: list[str] = []
        self.hops: list[str] = []
        self.answer: dict[str, str] | None = None
        # What came back to the redirect URI, the code left out.
        self.callbacks: list[dict[str, str]] = []

    async def redirect_handler(self, authorization_url: str) -> None:
        self.authorizations.append(authorization_url)
        jar: dict[str, dict[str, str]] = {}  # origin -> cookie name -> value

        def origin(url: str) -> str:
            u = urlsplit(url)
            return f"{u.scheme}://{u.netloc}"

        def keep(url: str, response: httpx2.Response) -> None:
            cookies = jar.setdefault(origin(url), {})
            for line in response.headers.get_list("set-cookie"):
                name, _, value = line.split(";", 1)[0].partition("=")
                if re.search(r"max-age=0", line, re.I):
                    cookies.pop(name.strip(), None)
                else:
                    cookies[name.strip()] = value.strip()

        def cookie_header(url: str) -> dict[str, str]:
            cookies = jar.get(origin(url), {})
            return {"cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}

        # The client's own cookie handling is not used: the jar above is the browser's.
        async with httpx2.AsyncClient(follow_redirects=False, timeout=30) as http:
            url = authorization_url
            for _ in range(20):
                if url.startswith(self.redirect_uri):
                    query = parse_qs(urlsplit(url).query)
                    self.answer = {k: v[0] for k, v in query.items()}
                    self.callbacks.append({k: v for k, v in self.answer.items() if k != "code"})
                    return
                self.hops.append(url)
                r = await http.get(url, headers=cookie_header(url))
                http.cookies.clear()
                keep(url, r)
                if "location" not in r.headers:
                    text = r.text
                    form = r.status_code == 200 and re.search(r'<form method="post" action="([^"]+)"', text)
                    if not form:
                        raise RuntimeError(f"sign-in stopped at {url}: {r.status_code} {text}")

                    def field(name: str) -> str:
                        m = re.search(rf'name="{name}" value="([^"]*)"', text)
                        if not m:
                            raise RuntimeError(f"no {name} field in the consent form at {url}: {text}")
                        return m.group(1)

                    action = urljoin(url, form.group(1))
                    self.hops.append(f"POST {action}")
                    r = await http.post(
                        action,
                        headers={**cookie_header(action), "origin": origin(action)},
                        data={"session": field("session"), "csrf": field("csrf"), "decision": self.decision},
                    )
                    http.cookies.clear()
                    keep(action, r)
                    if "location" not in r.headers:
                        raise RuntimeError(f"consent refused at {action}: {r.status_code} {r.text}")
                    url = action
                url = urljoin(url, r.headers["location"])
            raise RuntimeError("sign-in did not reach the redirect URI in 20 hops")

    async def callback_handler(self) -> AuthorizationCodeResult:
        answer = self.answer or {}
        self.answer = None
        if "error" in answer:
            raise RuntimeError(f"the authorization server refused: {answer['error']} {answer.get('error_description', '')}")
        return AuthorizationCodeResult(code=answer["code"], state=answer.get("state"), iss=answer.get("iss"))


def jwt_part(token: str, index: int) -> dict:
    """A JWT's header (0) or claims (1), decoded without verification."""
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def main(url: str) -> None:
    browser = HeadlessBrowser(REDIRECT_URI)
    storage = MemoryStorage()
    provider = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="dice-mcp python sign-in test",
            redirect_uris=[REDIRECT_URI],
        ),
        storage=storage,
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
    )

    # Every request the SDK's HTTP client makes (MCP ones and the OAuth flow's), in order.
    requests: list[dict] = []

    async def on_response(response: httpx2.Response) -> None:
        requests.append({"method": response.request.method, "url": str(response.request.url), "status": response.status_code})

    http = httpx2.AsyncClient(auth=provider, timeout=30, event_hooks={"response": [on_response]})
    async with Client(streamable_http_client(url, http_client=http)) as client:
        tools = await client.list_tools()
        rolled = await client.call_tool("roll_dice", {"n_dice": 3})
        tokens = storage.tokens
        client_info = storage.client_info
        print(
            json.dumps(
                {
                    "protocol_version": client.protocol_version,
                    "server_name": client.server_info.name if client.server_info else None,
                    "tools": [t.name for t in tools.tools],
                    "rolled": rolled.structured_content,
                    "rolled_is_error": rolled.is_error,
                    "authorizations": browser.authorizations,
                    "browser_hops": browser.hops,
                    "callbacks": browser.callbacks,
                    "requests": requests,
                    "client": {
                        "client_id": client_info.client_id if client_info else None,
                        "token_endpoint_auth_method": client_info.token_endpoint_auth_method if client_info else None,
                        "has_secret": bool(client_info and client_info.client_secret),
                        "grant_types": client_info.grant_types if client_info else None,
                    },
                    "token": {
                        "token_type": tokens.token_type if tokens else None,
                        "scope": tokens.scope if tokens else None,
                        "expires_in": tokens.expires_in if tokens else None,
                        "has_refresh_token": bool(tokens and tokens.refresh_token),
                        "header": jwt_part(tokens.access_token, 0) if tokens else None,
                        "claims": jwt_part(tokens.access_token, 1) if tokens else None,
                    },
                }
            )
        )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
