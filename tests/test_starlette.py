"""BetterAuthBackend under Starlette's own AuthenticationMiddleware, over httpx.ASGITransport."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationError, BaseUser, requires
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from betterauth_jwt import Identity, Verifier
from betterauth_jwt.starlette import BetterAuthBackend
from betterauth_jwt.testing import TokenFactory
from tests._adapter_support import JSON, Recorder, connect_websocket, cookie_verifier, factory, unavailable_verifier


async def whoami(request: Request) -> Response:
    user = request.user
    return JSONResponse({
        "identity": isinstance(user, Identity) and user.user_id,
        "authenticated": user.is_authenticated,
        "scopes": request.auth.scopes,
    })  # fmt: skip


@requires("role:admin")
async def admin(request: Request) -> Response:
    return PlainTextResponse("admin")


def make_app(backend: BetterAuthBackend) -> Starlette:
    middleware = [Middleware(AuthenticationMiddleware, backend=backend, on_error=backend.on_error)]
    return Starlette(routes=[Route("/", whoami), Route("/admin", admin)], middleware=middleware)


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens() -> TokenFactory:
    return factory()


@pytest.mark.anyio
async def test_identity_is_request_user(tokens: TokenFactory) -> None:
    recorder = Recorder()
    async with client(make_app(BetterAuthBackend(tokens.verifier(), on_outcome=recorder))) as http:
        response = await http.get("/", headers=bearer(tokens.access_token("u1", role="admin")))
        anonymous = await http.get("/")
    assert response.json() == {"identity": "u1", "authenticated": True, "scopes": ["authenticated", "role:admin"]}
    assert anonymous.json() == {"identity": False, "authenticated": False, "scopes": []}
    assert recorder.codes == ["ok", "anonymous"]


@pytest.mark.anyio
async def test_requires_a_role_scope(tokens: TokenFactory) -> None:
    async with client(make_app(BetterAuthBackend(tokens.verifier()))) as http:
        assert (await http.get("/admin", headers=bearer(tokens.access_token(role="admin")))).text == "admin"
        assert (await http.get("/admin", headers=bearer(tokens.access_token(role="user")))).status_code == 403


@pytest.mark.anyio
async def test_invalid_token_is_a_401_not_starlettes_400(tokens: TokenFactory) -> None:
    async with client(make_app(BetterAuthBackend(tokens.verifier(), realm="todo"))) as http:
        response = await http.get("/", headers=bearer(tokens.access_token(issued_at=0)))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer realm="todo", error="invalid_token", error_description="the token has expired"'
    )
    assert response.headers["content-type"] == JSON
    assert response.json() == {"detail": "the token has expired", "code": "token_expired"}


@pytest.mark.anyio
async def test_keys_unavailable_is_a_503(tokens: TokenFactory) -> None:
    async with client(make_app(BetterAuthBackend(unavailable_verifier(tokens)))) as http:
        response = await http.get("/", headers=bearer(tokens.access_token()))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "13"
    assert "www-authenticate" not in response.headers
    assert response.json() == {
        "detail": "authentication is temporarily unavailable, retry later",
        "code": "keys_unavailable",
    }


@pytest.mark.anyio
async def test_session_cookie(tokens: TokenFactory) -> None:
    backend = BetterAuthBackend(tokens.verifier(), cookie=cookie_verifier(tokens))
    async with client(make_app(backend)) as http:
        response = await http.get("/", headers={"Cookie": f"better-auth.session_data={tokens.session_cookie('c1')}"})
    assert response.json()["identity"] == "c1"


@pytest.mark.anyio
async def test_on_error_never_shows_a_foreign_exception_text(tokens: TokenFactory) -> None:
    class Other(BetterAuthBackend):
        async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
            raise AuthenticationError("db password is hunter2")

    backend = Other(tokens.verifier())
    async with client(make_app(backend)) as http:
        response = await http.get("/")
    assert response.status_code == 401
    assert "hunter2" not in response.text
    assert response.json() == {"detail": "authentication failed", "code": "invalid_token"}
    assert response.headers["www-authenticate"] == 'Bearer realm="api", error="invalid_token"'


def test_backend_takes_a_verifier_not_its_options() -> None:
    with pytest.raises(TypeError):
        BetterAuthBackend(factory().verifier(), issuer="x")  # type: ignore[call-arg]
    assert isinstance(BetterAuthBackend(factory().verifier()).authenticator.verifier, Verifier)


def test_import_fails_loudly_without_starlette() -> None:
    code = "import sys; sys.modules['starlette'] = None\nimport betterauth_jwt.starlette"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert (
        "ImportError: starlette must be installed to use betterauth_jwt.starlette: "
        "pip install 'betterauth-jwt[starlette]'" in result.stderr
    )


@pytest.mark.anyio
async def test_websockets_starlettes_middleware_closes_with_1000(tokens: TokenFactory) -> None:
    # Documented limitation: AuthenticationMiddleware ignores on_error for WebSockets and always closes with 1000.
    # BetterAuthMiddleware (tests/test_asgi.py) is the adapter that sends 1008/1013.
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(websocket.user.user_id)
        await websocket.close()

    backend = BetterAuthBackend(tokens.verifier())
    app = Starlette(
        routes=[WebSocketRoute("/ws", ws)],
        middleware=[Middleware(AuthenticationMiddleware, backend=backend, on_error=backend.on_error)],
    )
    accepted = await connect_websocket(app, "/ws", [(b"authorization", f"Bearer {tokens.access_token('w1')}".encode())])
    refused = await connect_websocket(app, "/ws", [(b"authorization", b"Bearer a b")])
    assert accepted[0]["type"] == "websocket.accept"
    assert accepted[1]["text"] == "w1"
    assert refused == [{"type": "websocket.close", "code": 1000}]
