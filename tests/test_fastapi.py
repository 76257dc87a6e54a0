"""betterauth_jwt.fastapi: the dependency contract the example app codes against, guards, WebSockets, OpenAPI."""

# No "from __future__ import annotations": FastAPI must see the route annotations (local aliases) as objects.
import json
import subprocess
import sys
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, WebSocket
from starlette.requests import Request

from betterauth_jwt import Identity, TokenKind, Verifier
from betterauth_jwt.asgi import BetterAuthMiddleware
from betterauth_jwt.fastapi import (
    SCHEME_NAME,
    AuthHTTPException,
    BetterAuth,
    CurrentUser,
    OptionalUser,
    document_bearer_auth,
)
from betterauth_jwt.testing import TokenFactory
from tests._adapter_support import JSON, NOW, REALM_CHALLENGE, Recorder, connect_websocket, unavailable_verifier

BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "A Better Auth JWT (from /api/auth/token or the set-auth-jwt header).",
}


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def headers_of(values: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in values.items()]


@pytest.fixture
def tokens() -> TokenFactory:
    # HS256 with a shared secret, so the app below is built exactly as the documented contract shows.
    return TokenFactory("HS256", issuer="http://localhost:3000", clock=lambda: NOW)


def contract_app(verifier: Verifier, **options: Any) -> tuple[FastAPI, BetterAuth]:
    """The API as the example todo app uses it (see the module docstring of betterauth_jwt.fastapi)."""
    auth = BetterAuth(verifier, **options)
    app = FastAPI()
    auth.install(app)
    Me = Annotated[Identity, Depends(auth)]
    Maybe = Annotated[Identity | None, Depends(auth.optional)]
    AdminUser = Annotated[Identity, Depends(auth.require(role="admin"))]
    Verified = Annotated[Identity, Depends(auth.require(lambda identity: identity.email_verified is True))]

    @app.get("/me")
    async def me(user: Me) -> dict[str, Any]:
        return {"user_id": user.user_id, "email": user.email}

    @app.get("/maybe")
    async def maybe(user: Maybe) -> dict[str, Any]:
        return {"user_id": user.user_id if user else None}

    @app.get("/admin")
    async def admin(user: AdminUser) -> dict[str, Any]:
        return {"admin": user.user_id}

    @app.get("/verified")
    def verified(user: Verified) -> dict[str, Any]:  # sync routes work the same
        return {"verified": user.user_id}

    @app.get("/both")
    async def both(user: Me, admin: AdminUser, request: Request) -> dict[str, Any]:
        return {"same": user is admin, "request_user": request.user.user_id}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, user: Me) -> None:
        await websocket.accept()
        await websocket.send_json({"user_id": user.user_id})
        await websocket.close()

    @app.websocket("/ws/admin")
    async def ws_admin(websocket: WebSocket, user: AdminUser) -> None:
        await websocket.accept()
        await websocket.close()

    return app, auth


def for_better_auth(tokens: TokenFactory) -> Verifier:
    assert tokens.secret is not None
    return Verifier.for_better_auth("http://localhost:3000", secret=tokens.secret, clock=tokens.clock)


# -- HTTP -----------------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_current_user(tokens: TokenFactory) -> None:
    app, _ = contract_app(for_better_auth(tokens))
    async with client(app) as http:
        ok = await http.get("/me", headers=bearer(tokens.access_token("u1")))
        missing = await http.get("/me")
        expired = await http.get("/me", headers=bearer(tokens.access_token(issued_at=0)))
    assert ok.json() == {"user_id": "u1", "email": "u1@example.com"}
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == REALM_CHALLENGE
    assert missing.headers["content-type"] == JSON
    assert missing.json() == {"detail": "authentication required", "code": "missing_token"}
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == (
        'Bearer realm="api", error="invalid_token", error_description="the token has expired"'
    )
    assert expired.json() == {"detail": "the token has expired", "code": "token_expired"}


@pytest.mark.anyio
async def test_optional_user(tokens: TokenFactory) -> None:
    app, _ = contract_app(for_better_auth(tokens))
    async with client(app) as http:
        anonymous = await http.get("/maybe")
        known = await http.get("/maybe", headers=bearer(tokens.access_token("u2")))
        invalid = await http.get("/maybe", headers={"Authorization": "Bearer a, Bearer b"})
    assert anonymous.json() == {"user_id": None}
    assert known.json() == {"user_id": "u2"}
    assert invalid.status_code == 401
    assert invalid.json()["code"] == "malformed_authorization"


@pytest.mark.anyio
async def test_role_guard_is_a_403_insufficient_scope(tokens: TokenFactory) -> None:
    app, _ = contract_app(for_better_auth(tokens))
    async with client(app) as http:
        user = await http.get("/admin", headers=bearer(tokens.access_token(role="user")))
        admin = await http.get("/admin", headers=bearer(tokens.access_token("boss", role="admin,user")))
        anonymous = await http.get("/admin")
    assert user.status_code == 403
    assert user.headers["www-authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", error_description="the admin role is required"'
    )
    assert user.headers["content-type"] == JSON
    assert user.json() == {"detail": "the admin role is required", "code": "insufficient_scope"}
    assert admin.json() == {"admin": "boss"}
    assert anonymous.status_code == 401


@pytest.mark.anyio
async def test_predicate_guard(tokens: TokenFactory) -> None:
    app, _ = contract_app(for_better_auth(tokens))
    async with client(app) as http:
        unverified = await http.get("/verified", headers=bearer(tokens.access_token()))
        verified = await http.get("/verified", headers=bearer(tokens.access_token(emailVerified=True)))
    assert unverified.status_code == 403
    assert unverified.json() == {"detail": "this user is not allowed to do this", "code": "insufficient_scope"}
    assert verified.json() == {"verified": "user_1"}


@pytest.mark.anyio
async def test_keys_unavailable_is_a_503(tokens: TokenFactory) -> None:
    eddsa = TokenFactory("EdDSA", clock=lambda: NOW)
    app, _ = contract_app(unavailable_verifier(eddsa))
    async with client(app) as http:
        response = await http.get("/me", headers=bearer(eddsa.access_token()))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "13"
    assert "www-authenticate" not in response.headers
    assert response.json() == {
        "detail": "authentication is temporarily unavailable, retry later",
        "code": "keys_unavailable",
    }


@pytest.mark.anyio
async def test_one_verification_per_request_and_request_user_is_set(tokens: TokenFactory) -> None:
    recorder = Recorder()
    app, _ = contract_app(for_better_auth(tokens), on_outcome=recorder)
    async with client(app) as http:
        response = await http.get("/both", headers=bearer(tokens.access_token("u1", role="admin")))
    assert response.json() == {"same": True, "request_user": "u1"}
    assert recorder.codes == ["ok"]


@pytest.mark.anyio
async def test_without_install_the_status_and_headers_are_still_right(tokens: TokenFactory) -> None:
    auth = BetterAuth(for_better_auth(tokens))
    app = FastAPI()

    @app.get("/me")
    async def me(user: Annotated[Identity, Depends(auth)]) -> str:
        return user.user_id

    async with client(app) as http:
        response = await http.get("/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == REALM_CHALLENGE
    assert response.json() == {"detail": "authentication required"}  # FastAPI's own HTTPException rendering


@pytest.mark.anyio
async def test_session_cookie_option() -> None:
    tokens = TokenFactory("HS256", clock=lambda: NOW)
    cookie_verifier = tokens.verifier(TokenKind.SESSION_COOKIE)
    app, _ = contract_app(tokens.verifier(), cookie=cookie_verifier, realm="todo")
    async with client(app) as http:
        cookie = await http.get("/me", headers={"Cookie": f"better-auth.session_data={tokens.session_cookie('c1')}"})
        missing = await http.get("/me")
    assert cookie.json()["user_id"] == "c1"
    assert missing.headers["www-authenticate"] == 'Bearer realm="todo"'


def test_auth_exception_is_a_fastapi_http_exception() -> None:
    from fastapi import HTTPException

    assert issubclass(AuthHTTPException, HTTPException)


# -- WebSockets -----------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_websocket_dependency(tokens: TokenFactory) -> None:
    app, _ = contract_app(for_better_auth(tokens))
    accepted = await connect_websocket(app, "/ws", headers_of(bearer(tokens.access_token("w1"))))
    missing = await connect_websocket(app, "/ws")
    expired = await connect_websocket(app, "/ws", headers_of(bearer(tokens.access_token(issued_at=0))))
    forbidden = await connect_websocket(app, "/ws/admin", headers_of(bearer(tokens.access_token(role="user"))))
    assert accepted[0] == {"type": "websocket.accept", "subprotocol": None, "headers": []}
    assert json.loads(accepted[1]["text"]) == {"user_id": "w1"}
    assert missing == [{"type": "websocket.close", "code": 1008, "reason": "missing_token"}]
    assert expired == [{"type": "websocket.close", "code": 1008, "reason": "token_expired"}]
    assert forbidden == [{"type": "websocket.close", "code": 1008, "reason": "insufficient_scope"}]


@pytest.mark.anyio
async def test_websocket_keys_unavailable_is_1013() -> None:
    eddsa = TokenFactory("EdDSA", clock=lambda: NOW)
    app, _ = contract_app(unavailable_verifier(eddsa))
    sent = await connect_websocket(app, "/ws", headers_of(bearer(eddsa.access_token())))
    assert sent == [{"type": "websocket.close", "code": 1013, "reason": "keys_unavailable"}]


# -- OpenAPI --------------------------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_openapi_declares_the_bearer_scheme_for_dependency_routes(tokens: TokenFactory) -> None:
    app, _ = contract_app(for_better_auth(tokens))
    async with client(app) as http:
        schema = (await http.get("/openapi.json")).json()
        docs = await http.get("/docs")
    assert schema["components"]["securitySchemes"] == {SCHEME_NAME: BEARER_SCHEME}
    for path in ("/me", "/maybe", "/admin", "/verified", "/both"):
        assert schema["paths"][path]["get"]["security"] == [{SCHEME_NAME: []}], path
    assert "security" not in schema["paths"]["/health"]["get"]
    assert docs.status_code == 200  # Swagger UI shows an Authorize button for the scheme above


# -- module-level CurrentUser / OptionalUser (middleware style, or after install) -----------------------------------


def module_level_app() -> FastAPI:
    app = FastAPI()

    @app.get("/me")
    async def me(user: CurrentUser) -> dict[str, Any]:
        return {"user_id": user.user_id}

    @app.get("/maybe")
    async def maybe(user: OptionalUser) -> dict[str, Any]:
        return {"user_id": user.user_id if user else None}

    @app.get("/public/me")
    async def public_me(user: CurrentUser) -> dict[str, Any]:
        return {"user_id": user.user_id}

    @app.get("/plain")
    async def plain(request: Request) -> dict[str, Any]:
        return {"user_id": getattr(request.user, "user_id", None)}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


@pytest.mark.anyio
async def test_module_level_aliases_reuse_the_middleware(tokens: TokenFactory) -> None:
    recorder = Recorder()
    app = module_level_app()
    app.add_middleware(
        BetterAuthMiddleware,
        verifier=tokens.verifier(),
        required=False,
        public_prefixes=["/public"],
        on_outcome=recorder,
    )
    token = tokens.access_token("m1")
    async with client(app) as http:
        me = await http.get("/me", headers=bearer(token))
        assert recorder.codes == ["ok"]  # verified once, by the middleware
        anonymous_me = await http.get("/me")
        maybe = await http.get("/maybe")
        public_me = await http.get("/public/me", headers=bearer(token))  # the middleware skipped it: verified here
        public_anonymous = await http.get("/public/me")
    assert me.json() == {"user_id": "m1"}
    assert anonymous_me.status_code == 401
    assert anonymous_me.json() == {"detail": "authentication required"}  # no install: FastAPI's rendering
    assert maybe.json() == {"user_id": None}
    assert public_me.json() == {"user_id": "m1"}
    assert public_anonymous.status_code == 401
    assert public_anonymous.headers["www-authenticate"] == REALM_CHALLENGE


@pytest.mark.anyio
async def test_a_dependency_reuses_the_middleware_only_for_the_same_verifier(tokens: TokenFactory) -> None:
    middleware_recorder, same_recorder, other_recorder = Recorder(), Recorder(), Recorder()
    verifier = tokens.verifier()
    same = BetterAuth(verifier, on_outcome=same_recorder)
    other = BetterAuth(tokens.verifier(audience="https://admin.example.com"), on_outcome=other_recorder)
    app = FastAPI()
    app.add_middleware(BetterAuthMiddleware, verifier=verifier, on_outcome=middleware_recorder)

    @app.get("/same")
    async def same_route(user: Annotated[Identity, Depends(same)]) -> str:
        return user.user_id

    @app.get("/other")
    async def other_route(user: Annotated[Identity, Depends(other)]) -> str:
        return user.user_id

    async with client(app) as http:
        reused = await http.get("/same", headers=bearer(tokens.access_token("r1")))
        refused = await http.get("/other", headers=bearer(tokens.access_token("r1")))
    assert reused.json() == "r1"
    assert refused.status_code == 401  # the middleware's verifier accepted it; this one's audience does not
    assert middleware_recorder.codes == ["ok", "ok"]
    assert same_recorder.codes == []
    assert other_recorder.codes == ["invalid_audience"]


@pytest.mark.anyio
async def test_a_dependency_reuses_starlettes_authentication_middleware_too(tokens: TokenFactory) -> None:
    from starlette.middleware.authentication import AuthenticationMiddleware

    from betterauth_jwt.starlette import BetterAuthBackend

    backend_recorder, dependency_recorder = Recorder(), Recorder()
    verifier = tokens.verifier()
    backend = BetterAuthBackend(verifier, on_outcome=backend_recorder)
    auth = BetterAuth(verifier, on_outcome=dependency_recorder)
    app = FastAPI()
    app.add_middleware(AuthenticationMiddleware, backend=backend, on_error=backend.on_error)

    @app.get("/me")
    async def me(request: Request, user: Annotated[Identity, Depends(auth)]) -> dict[str, Any]:
        return {"user_id": user.user_id, "same": request.user is user, "scopes": list(request.auth.scopes)}

    async with client(app) as http:
        response = await http.get("/me", headers=bearer(tokens.access_token("s1", role="admin")))
    assert response.json() == {"user_id": "s1", "same": True, "scopes": ["authenticated", "role:admin"]}
    assert backend_recorder.codes == ["ok"]
    assert dependency_recorder.codes == []  # verified once, by the backend
    assert verifier.stats == {"cache_hits": 0, "cache_misses": 1}


@pytest.mark.anyio
async def test_module_level_aliases_after_install(tokens: TokenFactory) -> None:
    app = module_level_app()
    auth = BetterAuth(for_better_auth(tokens), realm="installed")
    auth.install(app)
    assert app.state.betterauth is auth
    async with client(app) as http:
        me = await http.get("/me", headers=bearer(tokens.access_token("i1")))
        missing = await http.get("/me")
        maybe = await http.get("/maybe")
    assert me.json() == {"user_id": "i1"}
    assert missing.json() == {"detail": "authentication required", "code": "missing_token"}
    assert missing.headers["www-authenticate"] == 'Bearer realm="installed"'
    assert maybe.json() == {"user_id": None}


@pytest.mark.anyio
async def test_module_level_aliases_without_middleware_or_install_fail_loudly() -> None:
    async with client(module_level_app()) as http:
        with pytest.raises(RuntimeError, match="BetterAuthMiddleware"):
            await http.get("/me")


@pytest.mark.anyio
async def test_openapi_for_the_middleware_style(tokens: TokenFactory) -> None:
    app = module_level_app()
    app.add_middleware(BetterAuthMiddleware, verifier=tokens.verifier(), public_paths=["/health", "/openapi.json"])
    document_bearer_auth(app, public_paths=["/health", "/openapi.json"])
    async with client(app) as http:
        schema = (await http.get("/openapi.json")).json()
        assert (await http.get("/openapi.json")).json() == schema  # built once
    assert schema["components"]["securitySchemes"] == {SCHEME_NAME: BEARER_SCHEME}
    for path in ("/me", "/maybe", "/public/me", "/plain"):
        assert schema["paths"][path]["get"]["security"] == [{SCHEME_NAME: []}], path
    assert "security" not in schema["paths"]["/health"]["get"]


# -- packaging ------------------------------------------------------------------------------------------------------


def test_import_fails_loudly_without_fastapi() -> None:
    code = "import sys; sys.modules['fastapi'] = None\nimport betterauth_jwt.fastapi"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert (
        "ImportError: fastapi must be installed to use betterauth_jwt.fastapi: pip install 'betterauth-jwt[fastapi]'"
        in result.stderr
    )
