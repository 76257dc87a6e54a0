"""Shared pieces of the adapter tests (asgi, starlette, fastapi, uvicorn): a fixed clock, a key provider whose keys are
down, an outcome recorder and a raw ASGI driver for paths no HTTP client would send."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from betterauth_jwt import AuthOutcome, KeysUnavailableError, TokenKind, Verifier
from betterauth_jwt._jose.jwk import VerificationKey
from betterauth_jwt.testing import TokenFactory

NOW = 1_760_000_000.0
REALM_CHALLENGE = 'Bearer realm="api"'
JSON = "application/json"


def factory() -> TokenFactory:
    return TokenFactory("EdDSA", clock=lambda: NOW)


def cookie_verifier(tokens: TokenFactory) -> Verifier:
    return tokens.verifier(TokenKind.SESSION_COOKIE)


class UnavailableKeys:
    """A key provider whose JWKS endpoint is down and nothing is cached (what RemoteJWKS raises in that case)."""

    algorithms = frozenset({"EdDSA"})
    generation = 0

    def get_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        raise KeysUnavailableError("GET http://127.0.0.1:9/jwks failed: 502 Bad Gateway", retry_after=12.5)

    async def aget_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        return self.get_keys(kid, alg)


def unavailable_verifier(tokens: TokenFactory) -> Verifier:
    return Verifier(UnavailableKeys(), issuer=tokens.issuer, audience=tokens.audience, clock=tokens.clock)


class Recorder:
    """An ``on_outcome`` hook that keeps every outcome."""

    def __init__(self) -> None:
        self.outcomes: list[AuthOutcome] = []

    def __call__(self, outcome: AuthOutcome) -> None:
        self.outcomes.append(outcome)

    @property
    def codes(self) -> list[str]:
        return [outcome.code for outcome in self.outcomes]


async def call_asgi(app: Any, path: str, *, raw_path: bytes | None = None, root_path: str = "", method: str = "GET",
                    headers: Sequence[tuple[bytes, bytes]] = ()) -> int:  # fmt: skip
    """Send one HTTP request straight to an ASGI app (no client to normalise the path); return the status."""
    sent = await send_asgi(app, path, raw_path=raw_path, root_path=root_path, method=method, headers=headers)
    return int(next(message["status"] for message in sent if message["type"] == "http.response.start"))


async def send_asgi(app: Any, path: str, *, raw_path: bytes | None = None, root_path: str = "", method: str = "GET",
                    headers: Sequence[tuple[bytes, bytes]] = ()) -> list[dict[str, Any]]:  # fmt: skip
    """Like :func:`call_asgi`, returning every message the app sent."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": raw_path if raw_path is not None else path.encode(), "root_path": root_path,
        "query_string": b"", "headers": list(headers), "server": ("testserver", 80), "client": ("127.0.0.1", 1234),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def connect_websocket(app: Any, path: str, headers: Sequence[tuple[bytes, bytes]] = ()) -> list[dict[str, Any]]:
    """Open a WebSocket on an ASGI app and return what the app sent (``websocket.accept`` or ``websocket.close``
    first). Starlette's TestClient would do, but in Starlette 1.x it warns without the ``httpx2`` package."""
    scope = {
        "type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "path": path, "raw_path": path.encode(),
        "root_path": "", "query_string": b"", "headers": list(headers), "subprotocols": [],
        "server": ("testserver", 80), "client": ("127.0.0.1", 1234),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []
    connected = False

    async def receive() -> dict[str, Any]:
        nonlocal connected
        if not connected:
            connected = True
            return {"type": "websocket.connect"}
        return {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def run_lifespan(app: Any) -> list[str]:
    """Start and stop an ASGI app's lifespan; return the message types it answered with."""
    incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    answers: list[str] = []

    async def receive() -> dict[str, Any]:
        return next(incoming)

    async def send(message: dict[str, Any]) -> None:
        answers.append(message["type"])

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    return answers
