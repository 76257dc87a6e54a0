"""The ``mcp`` SDK's own client, signing in through Better Auth: ``OAuthClientProvider`` does the discovery (401 ->
RFC 9728 resource metadata -> RFC 8414 server metadata), dynamic client registration, authorization code + PKCE
(with ``resource``), checks ``state`` and the RFC 9207 ``iss``, and exchanges the code. The person in the middle, at
the login and consent pages, is either headless Chromium (``browser_authorize``, the front end's
e2e/oauth_authorize.mjs) or plain HTTP calls a signed-out browser would make (``http_authorize``)."""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import anyio
import httpx
import httpx2
from mcp.client.auth import OAuthClientProvider
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthClientMetadata, OAuthToken
from scripts import demo

from tests.interop.todo_server import free_port

# (authorization URL, redirect URI) -> the URL the browser was finally sent to (the redirect URI with code, state, iss)
Authorize = Callable[[str, str], Awaitable[str]]

AUTHORIZE_SCRIPT = demo.FRONTEND_DIR / "e2e" / "oauth_authorize.mjs"


class MemoryStorage:
    """The SDK's ``TokenStorage``, in memory."""

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


@dataclass
class Connection:
    session: ClientSession
    storage: MemoryStorage
    authorizations: list[str] = field(default_factory=list)  # every final redirect URL

    @property
    def access_token(self) -> str:
        assert self.storage.tokens is not None
        return self.storage.tokens.access_token

    def claims(self) -> dict[str, Any]:
        return jwt_part(self.access_token, 1)

    async def call(self, tool: str, arguments: dict[str, Any] | None = None) -> Any:
        return await self.session.call_tool(tool, arguments or {})


def jwt_part(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return value


@asynccontextmanager
async def connect(mcp_url: str, authorize: Authorize, *, client_name: str) -> AsyncIterator[Connection]:
    """An initialized MCP session with ``mcp_url``, signed in through ``authorize``."""
    storage = MemoryStorage()
    redirect_uri = f"http://127.0.0.1:{free_port()}/callback"  # a native client's loopback redirect (RFC 8252)
    finals: list[str] = []

    async def on_redirect(authorization_url: str) -> None:
        finals.append(await authorize(authorization_url, redirect_uri))

    async def on_callback() -> AuthorizationCodeResult:
        params = {name: values[0] for name, values in parse_qs(urlsplit(finals[-1]).query).items()}
        if "code" not in params:
            raise RuntimeError(f"authorization refused: {params}")
        return AuthorizationCodeResult(code=params["code"], state=params.get("state"), iss=params.get("iss"))

    metadata = OAuthClientMetadata(
        client_name=client_name,
        redirect_uris=[redirect_uri],  # type: ignore[list-item]
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",  # a public client: PKCE, no secret
    )
    provider = OAuthClientProvider(mcp_url, metadata, storage, on_redirect, on_callback)
    async with (
        httpx2.AsyncClient(auth=provider, timeout=30.0) as http,
        streamable_http_client(mcp_url, http_client=http) as streams,
        ClientSession(streams[0], streams[1]) as session,
    ):
        await session.initialize()
        yield Connection(session, storage, finals)


def http_authorize(
    web_url: str, email: str, password: str, *, scope: str | None = None, deny: bool = False
) -> Authorize:
    """Sign in on the login page and consent (or deny), as the pages' forms do, over HTTP."""

    async def authorize(authorization_url: str, redirect_uri: str) -> str:
        async with httpx.AsyncClient(headers={"Origin": web_url}, timeout=15.0) as browser:
            response = await browser.get(authorization_url)
            assert response.status_code == 302, response.text
            url = urljoin(web_url, response.headers["location"])
            for _ in range(4):
                parts = urlsplit(url)
                if url.startswith(redirect_uri + "?"):
                    return url
                if parts.path == "/oauth/login":
                    body: dict[str, Any] = {"email": email, "password": password, "oauth_query": parts.query}
                    response = await browser.post(f"{web_url}/api/auth/sign-in/email", json=body)
                elif parts.path == "/oauth/consent":
                    page = await browser.get(url)  # the page itself renders for the signed-in user
                    assert page.status_code == 200, page.text[:500]
                    body = {"accept": not deny, "oauth_query": parts.query, **({"scope": scope} if scope else {})}
                    response = await browser.post(f"{web_url}/api/auth/oauth2/consent", json=body)
                else:
                    raise AssertionError(f"unexpected stop in the authorization: {url}")
                assert response.status_code == 200, response.text[:500]
                url = urljoin(web_url, response.json()["url"])
        raise AssertionError("the authorization did not reach the redirect URI")

    return authorize


@dataclass
class BrowserRun:
    records: list[dict[str, Any]] = field(default_factory=list)


def browser_authorize(
    chromium: Path,
    email: str,
    password: str,
    screenshots: Path,
    *,
    prefix: str,
    create_account: bool = False,
    untick: tuple[str, ...] = (),
    log: BrowserRun,
) -> Authorize:
    """Headless Chromium through the real login and consent pages (screenshots ``<prefix>login.png`` and
    ``<prefix>consent.png``); each run's JSON record goes to ``log``."""

    async def authorize(authorization_url: str, redirect_uri: str) -> str:
        env = {
            **os.environ,
            "AUTHORIZE_URL": authorization_url,
            "REDIRECT_URI": redirect_uri,
            "EMAIL": email,
            "PASSWORD": password,
            "NAME": email.split("@")[0].title(),
            "CREATE_ACCOUNT": "1" if create_account else "0",
            "UNTICK": " ".join(untick),
            "SCREENSHOT_DIR": str(screenshots),
            "SHOT_PREFIX": prefix,
            "CHROMIUM_PATH": str(chromium),
        }
        node = shutil.which("node") or "node"
        with anyio.fail_after(120):
            result = await anyio.run_process([node, str(AUTHORIZE_SCRIPT)], cwd=demo.FRONTEND_DIR, env=env, check=False)
        lines = [line for line in result.stdout.decode().splitlines() if line.startswith("{")]
        assert lines, (
            f"oauth_authorize.mjs printed nothing (status {result.returncode}): {result.stderr.decode()[-3000:]}"
        )
        record: dict[str, Any] = json.loads(lines[-1])
        log.records.append(record)
        assert record["ok"], f"browser authorization failed: {record}"
        redirect: str = record["redirect"]
        return redirect

    return authorize


# --- Raw JSON-RPC over streamable HTTP, for checking status codes and headers ---------------------------------------


def rpc(url: str, token: str, tool: str, arguments: dict[str, Any] | None = None) -> httpx.Response:
    """``initialize`` then one ``tools/call``, by hand (a stateful streamable HTTP session)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    with httpx.Client(headers=headers, timeout=10) as client:
        init = client.post(
            url,
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "e2e", "version": "1"},
                },
            },
        )
        if init.status_code != 200:
            return init
        session = {"Mcp-Session-Id": init.headers["mcp-session-id"], "Mcp-Protocol-Version": "2025-06-18"}
        client.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session)
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": tool, "arguments": arguments or {}},
        }
        return client.post(url, json=call, headers=session)


def sse_result(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC result of a response, whether sent as JSON or as one server-sent event."""
    assert response.status_code == 200, response.text
    if response.headers["content-type"].startswith("application/json"):
        body = response.json()
    else:
        data = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
        body = json.loads(data[-1])
    result: dict[str, Any] = body["result"]
    return result
