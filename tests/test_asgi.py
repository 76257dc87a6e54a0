"""BetterAuthMiddleware over real ASGI apps (raw and Starlette), through httpx.ASGITransport and a raw ASGI driver."""

from __future__ import annotations

import contextlib
import contextvars
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket

from betterauth_jwt import Verifier
from betterauth_jwt._web.authenticator import AUTHENTICATOR_SCOPE_KEY
from betterauth_jwt.asgi import BetterAuthMiddleware
from betterauth_jwt.testing import TokenFactory
from tests._adapter_support import (
    JSON,
    REALM_CHALLENGE,
    Recorder,
    call_asgi,
    connect_websocket,
    cookie_verifier,
    factory,
    run_lifespan,
    unavailable_verifier,
)

PLAIN = "better-auth.session_data"


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A raw ASGI app that answers with what the middleware put in the scope."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            kind = message["type"].split(".")[-1]
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return
    user = scope["user"]
    payload = {
        "user": getattr(user, "user_id", None),
        "authenticated": user.is_authenticated,
        "scopes": list(scope["auth"].scopes),
    }
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": json.dumps(payload)})
        await send({"type": "websocket.close", "code": 1000})
        return
    body = json.dumps(payload).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def tokens() -> TokenFactory:
    return factory()


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- required mode: the exact answers -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_valid_token_reaches_the_app(tokens: TokenFactory) -> None:
    async with client(BetterAuthMiddleware(echo, tokens.verifier())) as http:
        response = await http.get("/anything", headers=bearer(tokens.access_token("u1", role="admin")))
    assert response.status_code == 200
    assert response.json() == {"user": "u1", "authenticated": True, "scopes": ["authenticated", "role:admin"]}


@pytest.mark.anyio
async def test_no_token_is_a_401_challenge_without_error(tokens: TokenFactory) -> None:
    async with client(BetterAuthMiddleware(echo, tokens.verifier())) as http:
        response = await http.get("/anything")
    assert response.status_code == 401
    assert dict(response.headers) == {
        "content-type": JSON,
        "content-length": str(len(response.content)),
        "www-authenticate": REALM_CHALLENGE,
    }
    assert response.content == b'{"detail":"authentication required","code":"missing_token"}'


@pytest.mark.anyio
async def test_invalid_token_is_a_401_with_invalid_token(tokens: TokenFactory) -> None:
    expired = tokens.access_token(issued_at=0)
    async with client(BetterAuthMiddleware(echo, tokens.verifier(), realm="todo-api")) as http:
        response = await http.get("/anything", headers=bearer(expired))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer realm="todo-api", error="invalid_token", error_description="the token has expired"'
    )
    assert response.headers["content-type"] == JSON
    assert response.json() == {"detail": "the token has expired", "code": "token_expired"}
    assert expired not in response.text


@pytest.mark.anyio
async def test_keys_unavailable_is_a_503_with_retry_after(tokens: TokenFactory) -> None:
    async with client(BetterAuthMiddleware(echo, unavailable_verifier(tokens))) as http:
        response = await http.get("/anything", headers=bearer(tokens.access_token()))
    assert response.status_code == 503
    assert dict(response.headers) == {
        "content-type": JSON,
        "content-length": str(len(response.content)),
        "retry-after": "13",
    }
    assert response.json() == {
        "detail": "authentication is temporarily unavailable, retry later",
        "code": "keys_unavailable",
    }


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ([("Authorization", "Bearer a.b.c"), ("Authorization", "Bearer a.b.c")], "malformed_authorization"),
        ([("Authorization", "Bearer a, Bearer b")], "malformed_authorization"),
        ([("Authorization", "Bearer\ta.b.c")], "malformed_authorization"),
        ([("Authorization", b"Bearer \xe9\xe9.\xff.\x80")], "malformed_authorization"),
        ([("Authorization", "Bearer " + "a" * 20_000)], "token_too_large"),
        ([("Authorization", "Bearer " + "a" * 16_400 + ".b.c")], "token_too_large"),
        ([("Authorization", "Bearer abc")], "malformed_token"),
        ([("Authorization", "Bearer e30.e30.e30")], "malformed_token"),
        ([("Authorization", "Basic dXNlcjpwYXNz")], "missing_token"),
        ([("Authorization", "")], "malformed_authorization"),
    ],
)
async def test_hostile_authorization_headers_are_401_never_500(
    tokens: TokenFactory, headers: list[tuple[str, Any]], code: str
) -> None:
    async with client(BetterAuthMiddleware(echo, tokens.verifier())) as http:
        response = await http.get("/anything", headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response.headers["www-authenticate"].startswith(REALM_CHALLENGE)
    if code == "missing_token":  # another scheme: RFC 6750 section 3.1, no error code
        assert response.headers["www-authenticate"] == REALM_CHALLENGE


# -- optional mode --------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_optional_mode(tokens: TokenFactory) -> None:
    recorder = Recorder()
    app = BetterAuthMiddleware(echo, tokens.verifier(), required=False, on_outcome=recorder)
    async with client(app) as http:
        anonymous = await http.get("/")
        known = await http.get("/", headers=bearer(tokens.access_token("u2")))
        invalid = await http.get("/", headers=bearer(tokens.access_token(issued_at=0)))
    assert anonymous.json() == {"user": None, "authenticated": False, "scopes": []}
    assert known.json()["user"] == "u2"
    assert invalid.status_code == 401  # a present but invalid token is never ignored
    assert recorder.codes == ["anonymous", "ok", "token_expired"]


# -- the session_data cookie ----------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_session_cookie_plain_secure_and_chunked(tokens: TokenFactory) -> None:
    cookie = tokens.session_cookie("cookie_user")
    app = BetterAuthMiddleware(echo, tokens.verifier(), cookie=cookie_verifier(tokens))
    half = len(cookie) // 2
    async with client(app) as http:
        plain = await http.get("/", headers={"Cookie": f"{PLAIN}={cookie}"})
        secure = await http.get("/", headers={"Cookie": f"__Secure-{PLAIN}={cookie}; {PLAIN}=stale"})
        chunked = await http.get("/", headers={"Cookie": f"{PLAIN}.1={cookie[half:]}; {PLAIN}.0={cookie[:half]}"})
        header_wins = await http.get(
            "/", headers={"Cookie": f"{PLAIN}={cookie}", **bearer(tokens.access_token("header_user"))}
        )
        tampered = await http.get("/", headers={"Cookie": f"{PLAIN}={cookie[:-3]}AAA"})
        access_token_in_cookie = await http.get("/", headers={"Cookie": f"{PLAIN}={tokens.access_token()}"})
    assert [r.json().get("user") for r in (plain, secure, chunked, header_wins)] == [
        "cookie_user", "cookie_user", "cookie_user", "header_user"
    ]  # fmt: skip
    assert tampered.status_code == 401
    assert access_token_in_cookie.json()["code"] == "wrong_token_kind"


@pytest.mark.anyio
async def test_cookie_is_ignored_unless_enabled(tokens: TokenFactory) -> None:
    async with client(BetterAuthMiddleware(echo, tokens.verifier())) as http:
        response = await http.get("/", headers={"Cookie": f"{PLAIN}={tokens.session_cookie()}"})
    assert response.json()["code"] == "missing_token"


@pytest.mark.anyio
async def test_cookie_only_verifier_with_custom_prefix() -> None:
    tokens = TokenFactory("HS256", clock=factory().clock)  # Better Auth's native HS256 cookie cache
    app = BetterAuthMiddleware(echo, cookie_verifier(tokens), cookie=True, cookie_prefix="todo")
    async with client(app) as http:
        response = await http.get("/", headers={"Cookie": f"todo.session_data={tokens.session_cookie('u3')}"})
        default_name = await http.get("/", headers={"Cookie": f"{PLAIN}={tokens.session_cookie('u3')}"})
    assert response.json()["user"] == "u3"
    assert default_name.status_code == 401


# -- public paths and their bypass attempts -------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "raw_path", "status"),
    [
        ("/public", None, 200),
        ("/docs", None, 200),
        ("/docs/oauth2-redirect", None, 200),
        ("/publicadmin", None, 401),
        ("/public/", None, 401),
        ("/PUBLIC", None, 401),
        ("/Public", None, 401),
        ("/public/../private", None, 401),
        ("/docs/../private", None, 401),
        ("/docs/../private", b"/docs/%2e%2e/private", 401),
        ("/docs/x", b"/docs%2Fx", 401),
        ("/public/private", b"/public%2Fprivate", 401),
        ("/docs//private", None, 401),
        ("/docs\\..\\private", None, 401),
    ],
)
async def test_public_path_bypass_attempts(
    tokens: TokenFactory, path: str, raw_path: bytes | None, status: int
) -> None:
    app = BetterAuthMiddleware(echo, tokens.verifier(), public_paths=["/public"], public_prefixes=["/docs"])
    assert await call_asgi(app, path, raw_path=raw_path) == status


@pytest.mark.anyio
async def test_public_paths_through_an_http_client(tokens: TokenFactory) -> None:
    app = BetterAuthMiddleware(echo, tokens.verifier(), public_paths=["/public"])
    async with client(app) as http:
        public = await http.get("/public")
        encoded = await http.get("/public/%2e%2e/private")
        with_bad_token = await http.get("/public", headers=bearer("garbage"))
    assert public.json() == {"user": None, "authenticated": False, "scopes": []}
    assert encoded.status_code == 401
    assert with_bad_token.status_code == 200  # public paths do not look at tokens at all


@pytest.mark.anyio
async def test_public_paths_under_a_mount(tokens: TokenFactory) -> None:
    inner = BetterAuthMiddleware(echo, tokens.verifier(), public_paths=["/public"])
    app = Starlette(routes=[Mount("/api", app=inner), Route("/public", PlainTextResponse("outer public"))])
    async with client(app) as http:
        assert (await http.get("/api/public")).status_code == 200
        assert (await http.get("/api/private")).status_code == 401
        assert (await http.get("/api/api/public")).status_code == 401
        assert (await http.get("/api/public/%2e%2e/private")).status_code == 401
        assert (await http.get("/api/PUBLIC")).status_code == 401
    # root_path set by the server (uvicorn --root-path /api): paths are matched relative to it
    assert await call_asgi(inner, "/api/public", root_path="/api") == 200
    assert await call_asgi(inner, "/api/private", root_path="/api") == 401
    assert await call_asgi(inner, "/apipublic", root_path="/api") == 401


# -- CORS -----------------------------------------------------------------------------------------------------------

PREFLIGHT = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "authorization"}  # fmt: skip


@pytest.mark.anyio
async def test_cors_preflight_passes_without_a_token(tokens: TokenFactory) -> None:
    async with client(BetterAuthMiddleware(echo, tokens.verifier())) as http:
        preflight = await http.options("/todos", headers=PREFLIGHT)
        plain_options = await http.options("/todos", headers={"Origin": "http://localhost:3000"})
        get_with_preflight_headers = await http.get("/todos", headers=PREFLIGHT)
    assert preflight.status_code == 200
    assert preflight.json()["authenticated"] is False
    assert plain_options.status_code == 401
    assert get_with_preflight_headers.status_code == 401


def cors(app: Any) -> CORSMiddleware:
    return CORSMiddleware(app, allow_origins=["http://localhost:3000"], allow_headers=["authorization"],
                          allow_methods=["GET", "POST"], allow_credentials=True)  # fmt: skip


@pytest.mark.anyio
@pytest.mark.parametrize("order", ["cors_outside", "cors_inside"])
async def test_behind_and_in_front_of_cors_middleware(tokens: TokenFactory, order: str) -> None:
    verifier = tokens.verifier()
    app = (
        cors(BetterAuthMiddleware(echo, verifier))
        if order == "cors_outside"
        else BetterAuthMiddleware(cors(echo), verifier)
    )
    origin = {"Origin": "http://localhost:3000"}
    async with client(app) as http:
        preflight = await http.options("/todos", headers=PREFLIGHT)
        refused = await http.get("/todos", headers=origin)
        allowed = await http.get("/todos", headers={**origin, **bearer(tokens.access_token())})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert allowed.status_code == 200
    assert refused.status_code == 401
    if order == "cors_outside":  # the browser can read the 401 only when CORS headers are on it
        assert refused.headers["access-control-allow-origin"] == "http://localhost:3000"


# -- pure ASGI: context variables, lifespan, scope -----------------------------------------------------------------

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")


async def _set_in_route(request: Request) -> Response:
    REQUEST_ID.set("set-in-route")
    return PlainTextResponse("ok")


def _observer(app: Any, seen: list[str]) -> Any:
    async def observe(scope: Any, receive: Any, send: Any) -> None:
        await app(scope, receive, send)
        if scope["type"] == "http":
            seen.append(REQUEST_ID.get())

    return observe


@pytest.mark.anyio
async def test_contextvars_set_in_a_route_are_visible_after_it(tokens: TokenFactory) -> None:
    seen: list[str] = []
    inner = Starlette(routes=[Route("/", _set_in_route)])
    app = _observer(BetterAuthMiddleware(inner, tokens.verifier()), seen)
    async with client(app) as http:
        assert (await http.get("/", headers=bearer(tokens.access_token()))).status_code == 200
    assert seen == ["set-in-route"]


@pytest.mark.anyio
async def test_the_contextvar_check_catches_base_http_middleware() -> None:
    # The control for the test above: BaseHTTPMiddleware runs the route in another task, and the value is lost.
    async def passthrough(request: Request, call_next: Any) -> Response:
        return await call_next(request)  # type: ignore[no-any-return]

    seen: list[str] = []
    inner = Starlette(
        routes=[Route("/", _set_in_route)], middleware=[Middleware(BaseHTTPMiddleware, dispatch=passthrough)]
    )
    async with client(_observer(inner, seen)) as http:
        assert (await http.get("/")).status_code == 200
    assert seen == ["unset"]


@pytest.mark.anyio
async def test_lifespan_is_passed_through(tokens: TokenFactory) -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    inner = Starlette(routes=[Route("/", PlainTextResponse("ok"))], lifespan=lifespan)
    answers = await run_lifespan(BetterAuthMiddleware(inner, tokens.verifier()))
    assert answers == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert events == ["startup", "shutdown"]


@pytest.mark.anyio
async def test_the_callers_scope_is_not_changed(tokens: TokenFactory) -> None:
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/", "headers": []}
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    await BetterAuthMiddleware(echo, tokens.verifier(), required=False)(scope, _no_body, send)
    assert "user" not in scope
    assert sent[0]["status"] == 200


@pytest.mark.anyio
async def test_the_middleware_adds_only_the_keys_it_needs(tokens: TokenFactory) -> None:
    # Every key added to the scope is one more the framework's own keys must fit beside: Starlette's routing adds six,
    # and a scope dict that overflows is resized on every request. A verified request gets exactly user and auth.
    seen: list[set[str]] = []

    async def record(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(set(scope))
        await echo(scope, receive, send)

    async def plain(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(set(scope))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    await call_asgi(plain, "/")
    server_keys = seen.pop()
    middleware = BetterAuthMiddleware(record, tokens.verifier(), required=False, public_paths=["/health"])
    token = tokens.access_token()
    added = []
    # The second request with the token is answered from the verifier's cache.
    for path, headers in (("/", bearer(token)), ("/", bearer(token)), ("/", {}), ("/health", bearer(token))):
        assert await call_asgi(middleware, path, headers=headers_of(headers)) == 200
        added.append(seen.pop() - server_keys)
    verified, cached, anonymous, public = added
    assert verified == cached == {"user", "auth"}
    assert anonymous == public == {"user", "auth", AUTHENTICATOR_SCOPE_KEY}  # for the dependencies of such paths


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


# -- Starlette's request.user, request.auth and @requires -----------------------------------------------------------


@requires("authenticated", status_code=401)
async def profile(request: Request) -> Response:
    return JSONResponse(
        {"user": request.user.identity, "name": request.user.display_name, "scopes": request.auth.scopes}
    )


@requires(["authenticated", "role:admin"])
async def admin_only(request: Request) -> Response:
    return PlainTextResponse("admin")


@pytest.mark.anyio
async def test_starlette_request_user_and_requires(tokens: TokenFactory) -> None:
    routes = [Route("/profile", profile), Route("/admin", admin_only)]
    app = Starlette(
        routes=routes, middleware=[Middleware(BetterAuthMiddleware, verifier=tokens.verifier(), required=False)]
    )
    async with client(app) as http:
        me = await http.get("/profile", headers=bearer(tokens.access_token("u1")))
        anonymous = await http.get("/profile")
        not_admin = await http.get("/admin", headers=bearer(tokens.access_token("u1", role="user")))
        admin = await http.get("/admin", headers=bearer(tokens.access_token("u1", role="admin")))
    assert me.json() == {"user": "u1", "name": "Ada Lovelace", "scopes": ["authenticated"]}
    assert anonymous.status_code == 401
    assert not_admin.status_code == 403
    assert admin.text == "admin"


# -- WebSockets -----------------------------------------------------------------------------------------------------


async def ws_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"user": getattr(websocket.user, "user_id", None)})
    await websocket.close()


def ws_app(verifier: Verifier, **options: Any) -> Starlette:
    routes = [WebSocketRoute("/ws", ws_echo), WebSocketRoute("/public/ws", ws_echo)]
    return Starlette(routes=routes, middleware=[Middleware(BetterAuthMiddleware, verifier=verifier, **options)])


def headers_of(values: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in values.items()]


@pytest.mark.anyio
async def test_websocket_accepted_with_a_valid_token(tokens: TokenFactory) -> None:
    sent = await connect_websocket(ws_app(tokens.verifier()), "/ws", headers_of(bearer(tokens.access_token("ws_user"))))
    assert sent[0]["type"] == "websocket.accept"
    assert json.loads(sent[1]["text"]) == {"user": "ws_user"}


@pytest.mark.anyio
async def test_websocket_accepted_anonymous_in_optional_mode_and_on_public_paths(tokens: TokenFactory) -> None:
    optional = await connect_websocket(ws_app(tokens.verifier(), required=False), "/ws")
    public = await connect_websocket(ws_app(tokens.verifier(), public_prefixes=["/public"]), "/public/ws")
    for sent in (optional, public):
        assert sent[0]["type"] == "websocket.accept"
        assert json.loads(sent[1]["text"]) == {"user": None}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("case", "code", "reason"),
    [
        ("missing", 1008, "missing_token"),
        ("expired", 1008, "token_expired"),
        ("malformed", 1008, "malformed_authorization"),
        ("keys_down", 1013, "keys_unavailable"),
    ],
)
async def test_websocket_closed_before_accept(tokens: TokenFactory, case: str, code: int, reason: str) -> None:
    recorder = Recorder()
    verifier = unavailable_verifier(tokens) if case == "keys_down" else tokens.verifier()
    headers = {
        "missing": {},
        "expired": bearer(tokens.access_token(issued_at=0)),
        "malformed": {"Authorization": "Bearer a b"},
        "keys_down": bearer(tokens.access_token()),
    }[case]
    sent = await connect_websocket(ws_app(verifier, on_outcome=recorder), "/ws", headers_of(headers))
    assert sent == [{"type": "websocket.close", "code": code, "reason": reason}]
    assert recorder.codes == [reason]


# -- packaging ------------------------------------------------------------------------------------------------------


def test_asgi_module_imports_without_starlette() -> None:
    code = (
        "import sys; sys.modules['starlette'] = None; sys.modules['fastapi'] = None\n"
        "import betterauth_jwt.asgi\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'fastapi') and sys.modules[m]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
