"""Per-tool scopes at the HTTP level: a ``tools/call`` whose tool needs a scope the access token lacks is answered
``403`` with ``WWW-Authenticate: Bearer error="insufficient_scope", scope="..."`` (RFC 6750 section 3.1; the MCP
authorization spec's step-up signal), so an MCP client can ask the user for more. The SDK only knows one set of
scopes for the whole server; this looks inside the JSON-RPC body to know which tool is called.

It wraps the SDK's ``/mcp`` endpoint *inside* its bearer authentication: ``scope["user"]`` is the SDK's
``AuthenticatedUser`` with the verified token's scopes. Without one it passes the request on, and the SDK answers 401.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY = 1024 * 1024  # the body is read here before the SDK sees it; larger ones are the SDK's to refuse (413)


def needed_scopes(body: bytes, tool_scopes: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """Every scope the ``tools/call`` requests in a JSON-RPC message (or batch) need; empty for anything else."""
    try:
        payload = json.loads(body)
    except ValueError:
        return frozenset()  # not JSON: the SDK answers with a JSON-RPC parse error
    messages = payload if isinstance(payload, list) else [payload]
    needed: set[str] = set()
    for message in messages:
        if isinstance(message, dict) and message.get("method") == "tools/call":
            params = message.get("params")
            name = params.get("name") if isinstance(params, dict) else None
            if isinstance(name, str):
                needed |= tool_scopes.get(name, frozenset())
    return frozenset(needed)


class ToolScopeGate:
    def __init__(self, app: ASGIApp, tool_scopes: Mapping[str, frozenset[str]], resource_metadata_url: str) -> None:
        self.app = app
        self.tool_scopes = tool_scopes
        self.resource_metadata_url = resource_metadata_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("user")
        granted = getattr(user, "scopes", None)
        if scope["type"] != "http" or scope["method"] != "POST" or granted is None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > MAX_BODY:
                break
        body = b"".join(chunks)
        missing = needed_scopes(body, self.tool_scopes) - set(granted) if not more else frozenset()
        if missing:
            await self._refuse(send, missing)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": more}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, missing: frozenset[str]) -> None:
        needed = " ".join(sorted(missing))
        description = f"this tool needs the scope {needed}"
        # Scope names are RFC 6749 scope-tokens (no quote or backslash), the URL is ours: safe inside quotes.
        challenge = (
            f'Bearer error="insufficient_scope", scope="{needed}", error_description="{description}", '
            f'resource_metadata="{self.resource_metadata_url}"'
        )
        body = json.dumps({"error": "insufficient_scope", "error_description": description, "scope": needed}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", challenge.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
