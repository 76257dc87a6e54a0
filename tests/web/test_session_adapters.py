"""The adapters with ``cookie=SessionVerifier(...)``: the session_token cookie beside bearer JWTs, CSRF before the
cookie, store outages as 503, and the header winning over the cookie."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi import Depends, FastAPI

from betterauth_jwt import Identity, OriginCheck, SessionVerifier, StoreUnavailableError
from betterauth_jwt.asgi import BetterAuthMiddleware
from betterauth_jwt.fastapi import SCHEME_NAME, SESSION_SCHEME_NAME, BetterAuth
from betterauth_jwt.testing import TokenFactory
from tests._adapter_support import Recorder, connect_websocket, send_asgi
from tests.kinds.test_session import MemoryStore
from tests.stores._support import NOW, SECRET, Row

APP = "https://app.example.com"
SAME_SITE = [(b"origin", APP.encode()), (b"sec-fetch-site", b"same-site")]
CROSS_SITE = [(b"origin", b"https://evil.example"), (b"sec-fetch-site", b"cross-site")]

pytestmark = pytest.mark.anyio


async def whoami(scope: Any, receive: Any, send: Any) -> None:
    body = json.dumps({"user": scope["user"].user_id, "kind": scope["user"].kind.value}).encode()
    if scope["type"] == "websocket":
        await send({"type": "websocket.accept"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


def setup(*rows: Row, **options: Any) -> tuple[BetterAuthMiddleware, MemoryStore, TokenFactory]:
    tokens = TokenFactory("EdDSA", clock=lambda: NOW.timestamp())
    store = MemoryStore(*rows)
    sessions = SessionVerifier(secret=SECRET, store=store, csrf=OriginCheck([APP]), clock=NOW.timestamp)
    app = BetterAuthMiddleware(whoami, tokens.verifier(), cookie=sessions, **options)
    return app, store, tokens


def cookie(row: Row) -> tuple[bytes, bytes]:
    return (b"cookie", f"better-auth.session_token={row.cookie()}".encode())


async def request(app: Any, method: str = "GET", *headers: tuple[bytes, bytes]) -> tuple[int, dict[str, Any]]:
    sent = await send_asgi(app, "/me", method=method, headers=headers)
    status = int(next(m["status"] for m in sent if m["type"] == "http.response.start"))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(body)


async def test_the_session_cookie_authenticates() -> None:
    row = Row()
    app, store, _ = setup(row)
    status, body = await request(app, "GET", cookie(row))
    assert (status, body) == (200, {"user": row.user_id, "kind": "session"})
    status, body = await request(app, "POST", cookie(row), *SAME_SITE)
    assert status == 200
    del store.rows[row.token]  # signed out
    status, body = await request(app, "GET", cookie(row))
    assert (status, body["code"]) == (401, "session_not_found")


async def test_a_cross_site_post_is_403_before_the_cookie_is_read() -> None:
    row = Row()
    recorder = Recorder()
    app, store, _ = setup(row, on_outcome=recorder)
    for value in (cookie(row), (b"cookie", b"better-auth.session_token=forged")):
        status, body = await request(app, "POST", value, *CROSS_SITE)
        assert (status, body["code"]) == (403, "cross_site_request")
    assert store.asked == []
    assert recorder.codes == ["cross_site_request", "cross_site_request"]


async def test_a_cross_site_websocket_handshake_is_refused() -> None:
    row = Row()
    app, _, _ = setup(row)
    sent = await connect_websocket(app, "/ws", [cookie(row), *CROSS_SITE])
    assert sent[0]["type"] == "websocket.close"
    sent = await connect_websocket(app, "/ws", [cookie(row), *SAME_SITE])
    assert sent[0]["type"] == "websocket.accept"


async def test_the_bearer_header_wins_over_the_cookie() -> None:
    row = Row()
    app, store, tokens = setup(row)
    bearer = (b"authorization", f"Bearer {tokens.access_token('jwt-user')}".encode())
    status, body = await request(app, "POST", bearer, cookie(row), *CROSS_SITE)  # no CSRF check: not the cookie
    assert (status, body) == (200, {"user": "jwt-user", "kind": "access"})
    assert store.asked == []


async def test_a_store_outage_is_503() -> None:
    row = Row()
    app, store, _ = setup(row)
    store.fail = True
    sent = await send_asgi(app, "/me", headers=[cookie(row)])
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 503
    assert any(name.lower() == b"retry-after" for name, _ in start["headers"])


def test_store_unavailable_is_a_keys_unavailable_error() -> None:
    from betterauth_jwt import KeysUnavailableError

    assert issubclass(StoreUnavailableError, KeysUnavailableError)  # so every adapter already answers 503


def test_flask_checks_the_session_cookie_synchronously() -> None:
    flask = pytest.importorskip("flask")
    from betterauth_jwt.flask import BetterAuth, current_identity

    row = Row()
    store = MemoryStore(row)
    sessions = SessionVerifier(secret=SECRET, store=store, csrf=OriginCheck([APP]), clock=NOW.timestamp)
    app = flask.Flask(__name__)
    auth = BetterAuth(app, verifier=TokenFactory("EdDSA").verifier(), cookie=sessions)

    @app.post("/todos")
    @auth.required
    def create() -> dict[str, str]:
        return {"user": current_identity.user_id}

    client = app.test_client()
    client.set_cookie("better-auth.session_token", row.cookie())
    same_site = client.post("/todos", headers={"Origin": APP, "Sec-Fetch-Site": "same-site"})
    assert (same_site.status_code, same_site.json) == (200, {"user": row.user_id})
    cross_site = client.post("/todos", headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert (cross_site.status_code, cross_site.json["code"]) == (403, "cross_site_request")
    del store.rows[row.token]
    signed_out = client.post("/todos", headers={"Origin": APP, "Sec-Fetch-Site": "same-site"})
    assert (signed_out.status_code, signed_out.json["code"]) == (401, "session_not_found")


def test_fastapi_documents_the_session_cookie_beside_the_bearer_scheme() -> None:
    sessions = SessionVerifier(secret=SECRET, store=MemoryStore(), csrf=OriginCheck([APP]))
    auth = BetterAuth(TokenFactory("EdDSA").verifier(), cookie=sessions)
    app = FastAPI()
    auth.install(app)

    @app.get("/me")
    async def me(user: Identity = Depends(auth)) -> str:  # noqa: B008  (a local dependency: no module-level alias)
        return user.user_id

    @app.get("/public")
    async def public() -> str:
        return "hello"

    schema = app.openapi()
    assert schema["components"]["securitySchemes"][SESSION_SCHEME_NAME] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "better-auth.session_token",
        "description": "Better Auth's signed session cookie, checked against its session store.",
    }
    assert schema["paths"]["/me"]["get"]["security"] == [{SCHEME_NAME: []}, {SESSION_SCHEME_NAME: []}]
    assert "security" not in schema["paths"]["/public"]["get"]


async def test_the_bearer_plugins_signed_token_authenticates_with_a_session_verifier() -> None:
    """Better Auth's ``bearer()`` plugin: ``Authorization: Bearer <token>.<signature>`` (the ``set-auth-token`` value),
    checked against the store like the cookie. A header is never attached by a browser on its own, so no CSRF check."""
    row = Row()
    store = MemoryStore(row)
    sessions = SessionVerifier(secret=SECRET, store=store, csrf=OriginCheck([APP]), clock=NOW.timestamp)
    app = BetterAuthMiddleware(whoami, sessions)
    bearer = (b"authorization", f"Bearer {unquote(row.cookie())}".encode())
    status, body = await request(app, "POST", bearer, *CROSS_SITE)
    assert (status, body) == (200, {"user": row.user_id, "kind": "session"})
    forged = (b"authorization", f"Bearer {unquote(row.cookie('another-secret-of-at-least-thirty-two-bytes'))}".encode())
    status, body = await request(app, "GET", forged)
    assert (status, body["code"]) == (401, "invalid_signature")
    status, body = await request(app, "GET", (b"authorization", b"Bearer " + TokenFactory().access_token().encode()))
    assert status == 401
    status, body = await request(app, "GET")
    assert (status, body["code"]) == (401, "missing_token")
