"""How a refusal is answered (RFC 6750 section 3): the :class:`Denied` answer, the ``WWW-Authenticate`` challenge and
``Retry-After``. Body ``{"detail": ..., "code": ...}``, never the token.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable

from .._errors import KeysUnavailableError
from .._kinds.oauth import scopes_text
from .asgi_types import Scope, Send

__all__ = ["Denied", "challenge", "insufficient_scope", "quotable", "retry_after", "send_denial", "unavailable"]

CLOSE_POLICY_VIOLATION = 1008  # RFC 6455 section 7.4.1
CLOSE_TRY_AGAIN_LATER = 1013  # IANA WebSocket close code registry
# RFC 6750 section 3: realm and error_description may only hold %x20-21 / %x23-5B / %x5D-7E (no '"', no '\').
NOT_QUOTABLE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


class Denied(Exception):
    """A refusal, ready to send: ``status``, ``headers`` (the challenge or ``Retry-After``), the JSON ``body`` and the
    WebSocket ``close_code``. ``detail`` and ``code`` are ours and safe to show; they never hold the token."""

    def __init__(self, status: int, code: str, detail: str, headers: tuple[tuple[str, str], ...]) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers

    @property
    def close_code(self) -> int:
        return CLOSE_TRY_AGAIN_LATER if self.status == 503 else CLOSE_POLICY_VIOLATION

    @property
    def body(self) -> bytes:
        return json.dumps({"detail": self.detail, "code": self.code}, separators=(",", ":")).encode()


def quotable(text: str, limit: int = 200) -> str:
    return NOT_QUOTABLE.sub("?", text.replace('"', "'").replace("\\", "/"))[:limit]


def retry_after(exc: KeysUnavailableError) -> str:
    try:
        seconds = math.ceil(exc.retry_after)
    except (TypeError, ValueError, OverflowError):
        seconds = 30
    return str(min(max(seconds, 1), 3600))


def challenge(
    realm: str,
    error: str | None = None,
    description: str | None = None,
    *,
    scope: str | None = None,
    resource_metadata: str | None = None,
) -> tuple[tuple[str, str], ...]:
    """The ``WWW-Authenticate`` header of a refusal (RFC 6750 section 3), description quoted safely; ``scope`` the
    scopes a 403 needs (section 3.1), ``resource_metadata`` where an OAuth client finds who issues tokens (RFC 9728
    section 5.1). ``realm``, ``scope`` and the URL are checked when configured: they hold no character to escape."""
    value = f'Bearer realm="{realm}"'
    if error is not None:
        value += f', error="{error}"'
    if description:
        value += f', error_description="{quotable(description)}"'
    if scope:
        value += f', scope="{scope}"'
    if resource_metadata is not None:
        value += f', resource_metadata="{resource_metadata}"'
    return (("WWW-Authenticate", value),)


def insufficient_scope(
    realm: str, missing: Iterable[str], resource_metadata: str | None, description: str | None = None
) -> Denied:
    """The 403 for a valid token that lacks ``missing`` scopes (RFC 6750 section 3.1): ``scope=`` names them, so an
    OAuth client (the MCP SDK's, for one) can ask the user for exactly those."""
    needed = scopes_text(missing)
    detail = description or f"this request needs the scope(s): {needed}"
    headers = challenge(realm, "insufficient_scope", detail, scope=needed, resource_metadata=resource_metadata)
    return Denied(403, "insufficient_scope", detail, headers)


def unavailable(exc: KeysUnavailableError) -> Denied:
    """The 503 for an outage on our side (the keys could not be obtained): never a 401, which would send the client
    to sign in again for nothing. The exception's text may name our JWKS endpoint: it stays in our logs."""
    detail = "authentication is temporarily unavailable, retry later"
    return Denied(503, exc.code, detail, (("Retry-After", retry_after(exc)),))


async def send_denial(scope: Scope, send: Send, denied: Denied) -> None:
    """Send ``denied`` as a raw ASGI response (HTTP), or close a WebSocket before accepting it."""
    if scope["type"] == "websocket":
        # Closing before accepting makes the server refuse the handshake (HTTP 403); the code and reason are ours.
        await send({"type": "websocket.close", "code": denied.close_code, "reason": denied.code})
        return
    body = denied.body
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in denied.headers),
    ]
    await send({"type": "http.response.start", "status": denied.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
