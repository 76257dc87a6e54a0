"""The testing kit users get: TokenFactory conveniences, make_identity, override_user with FastAPI, and the pytest plugin
(loaded here through its entry point, as in a user's project)."""

# No `from __future__ import annotations`: FastAPI must see the route annotations, which use aliases local to make_app.
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Request, WebSocket

from betterauth_jwt import (
    ExpiredTokenError,
    Identity,
    ImmatureTokenError,
    RemoteJWKS,
    TokenKind,
    Verifier,
)
from betterauth_jwt.fastapi import BetterAuth, CurrentUser, OptionalUser
from betterauth_jwt.testing import JWKSServer, TokenFactory, make_identity, override_user
from tests._adapter_support import connect_websocket

NOW = 1_760_000_000.0
ALGORITHMS = ["EdDSA", "ES256", "ES512", "RS256", "PS256", "HS256"]


# -- TokenFactory conveniences -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ALGORITHMS)
@pytest.mark.parametrize("kind", [TokenKind.ACCESS, TokenKind.SESSION_COOKIE])  # the JWT kinds
def test_expired_and_not_yet_valid_tokens(alg: str, kind: TokenKind) -> None:
    factory = TokenFactory(alg, clock=lambda: NOW)
    verifier = factory.verifier(kind)
    assert verifier.verify(factory.token(kind, "user_1")).user_id == "user_1"
    with pytest.raises(ExpiredTokenError):
        verifier.verify(factory.expired_token(kind=kind))
    with pytest.raises(ImmatureTokenError):
        verifier.verify(factory.not_yet_valid_token(kind=kind))


def test_expired_token_expired_exactly_ago_seconds_ago() -> None:
    factory = TokenFactory(clock=lambda: NOW)
    token = factory.expired_token(ago=5)
    assert factory.verifier(leeway=6).verify(token).expires_at.timestamp() == NOW - 5
    with pytest.raises(ExpiredTokenError):
        factory.verifier(leeway=5).verify(token)


def test_identity_matches_what_the_verifier_returns() -> None:
    factory = TokenFactory(clock=lambda: NOW)
    verified = factory.verifier().verify(factory.access_token("user_5", role="admin"))
    built = factory.identity("user_5", role="admin")
    assert built == verified
    assert dict(built.claims) == dict(verified.claims)


def test_make_identity() -> None:
    identity = make_identity("alice", role="admin", email="alice@example.com")
    assert identity.user_id == "alice"
    assert identity.email == "alice@example.com"
    assert identity.claims["role"] == "admin"
    assert identity.kind is TokenKind.ACCESS
    cookie = make_identity("bob", kind=TokenKind.SESSION_COOKIE)
    assert cookie.user_id == "bob"
    assert cookie.session_id is not None


# -- override_user with the FastAPI adapter ----------------------------------------------------------------------------


def make_app(auth: BetterAuth) -> FastAPI:
    app = FastAPI()
    auth.install(app)
    User = Annotated[Identity, Depends(auth)]
    MaybeUser = Annotated[Identity | None, Depends(auth.optional)]
    Admin = Annotated[Identity, Depends(auth.require(role="admin"))]

    @app.get("/me")
    async def me(user: User) -> dict[str, str]:
        return {"user": user.user_id}

    @app.get("/request-user")
    async def request_user(user: User, request: Request) -> dict[str, str]:
        return {"user": user.user_id, "request.user": request.user.user_id}

    @app.get("/maybe")
    async def maybe(user: MaybeUser) -> dict[str, str | None]:
        return {"user": user.user_id if user else None}

    @app.get("/admin")
    async def admin(user: Admin) -> dict[str, str]:
        return {"admin": user.user_id}

    @app.get("/app-user")
    async def app_user(user: CurrentUser, maybe: OptionalUser) -> dict[str, str | None]:
        return {"user": user.user_id, "maybe": maybe.user_id if maybe else None}

    @app.get("/guarded-in-decorator", dependencies=[Depends(auth.require(lambda identity: identity.email_verified))])
    async def verified_only() -> dict[str, bool]:
        return {"ok": True}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket, user: User) -> None:
        await websocket.accept()
        await websocket.send_text(user.user_id)
        await websocket.close()

    return app


@pytest.fixture
def auth(betterauth_verifier: Verifier) -> BetterAuth:
    return BetterAuth(betterauth_verifier)


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver")


@pytest.mark.anyio
async def test_without_override_the_routes_need_a_token(auth: BetterAuth) -> None:
    async with client(make_app(auth)) as http:
        assert (await http.get("/me")).status_code == 401
        assert (await http.get("/maybe")).json() == {"user": None}
        assert (await http.get("/admin")).status_code == 401


@pytest.mark.anyio
async def test_override_user_replaces_every_dependency_of_auth(auth: BetterAuth) -> None:
    app = make_app(auth)
    async with client(app) as http:
        with override_user(app, auth, make_identity("alice", role="admin", emailVerified=True)):
            assert (await http.get("/me")).json() == {"user": "alice"}
            assert (await http.get("/request-user")).json() == {"user": "alice", "request.user": "alice"}
            assert (await http.get("/maybe")).json() == {"user": "alice"}
            assert (await http.get("/admin")).json() == {"admin": "alice"}
            assert (await http.get("/app-user")).json() == {"user": "alice", "maybe": "alice"}
            assert (await http.get("/guarded-in-decorator")).json() == {"ok": True}
            sent = await connect_websocket(app, "/ws")
    assert [message["type"] for message in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert sent[1]["text"] == "alice"


@pytest.mark.anyio
async def test_guards_still_judge_the_overridden_user(auth: BetterAuth) -> None:
    app = make_app(auth)
    async with client(app) as http:
        with override_user(app, auth, make_identity("bob", role="user")):
            assert (await http.get("/me")).status_code == 200
            refused = await http.get("/admin")
            assert refused.status_code == 403
            assert refused.json()["code"] == "insufficient_scope"
            assert (await http.get("/guarded-in-decorator")).status_code == 403


@pytest.mark.anyio
async def test_leaving_the_override_restores_authentication(
    auth: BetterAuth, betterauth_token_factory: TokenFactory
) -> None:
    app = make_app(auth)
    app.dependency_overrides[Request] = lambda: None  # an unrelated override of the user's survives undo()
    async with client(app) as http:
        override = override_user(app, auth, make_identity("alice"))
        assert (await http.get("/me")).status_code == 200
        override.undo()
        assert (await http.get("/me")).status_code == 401
        assert list(app.dependency_overrides) == [Request]
        token = betterauth_token_factory.access_token("carol")
        assert (await http.get("/me", headers={"Authorization": f"Bearer {token}"})).json()["user"] == "carol"
        sent = await connect_websocket(app, "/ws")
    assert sent[0] == {"type": "websocket.close", "code": 1008, "reason": "missing_token"}


@pytest.mark.anyio
async def test_plain_dependency_overrides_work_too(auth: BetterAuth) -> None:
    # The documented one-liner, for routes that only use Depends(auth).
    app = make_app(auth)
    app.dependency_overrides[auth] = lambda: make_identity("dave")
    async with client(app) as http:
        assert (await http.get("/me")).json()["user"] == "dave"


def test_override_user_checks_its_arguments(auth: BetterAuth) -> None:
    app = make_app(auth)
    with pytest.raises(TypeError, match="BetterAuth"):
        override_user(app, object(), make_identity())
    with pytest.raises(TypeError, match="make_identity"):
        override_user(app, auth, {"user_id": "x"})  # type: ignore[arg-type]


# -- the pytest plugin's fixtures, used as a user would ----------------------------------------------------------------


def test_fixtures_work_together(betterauth_token_factory: TokenFactory, betterauth_verifier: Verifier) -> None:
    assert betterauth_verifier.verify(betterauth_token_factory.access_token("user_x")).user_id == "user_x"


def test_jwks_server_fixture_serves_the_factorys_keys_and_rotations(
    betterauth_token_factory: TokenFactory, betterauth_jwks_server: JWKSServer
) -> None:
    factory = betterauth_token_factory
    with RemoteJWKS(betterauth_jwks_server.url) as keys:
        verifier = Verifier(keys, issuer=factory.issuer, audience=factory.issuer)
        old = factory.access_token("before")
        assert verifier.verify(old).user_id == "before"
        factory.rotate()
        assert verifier.verify(factory.access_token("after")).user_id == "after"  # unknown kid: one refetch
        assert verifier.verify(old).user_id == "before"
    assert betterauth_jwks_server.hits == 2


def test_plugin_is_registered_by_entry_point(pytestconfig: pytest.Config) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("betterauth_jwt")
    assert plugin is not None
    assert plugin.__name__ == "betterauth_jwt.pytest_plugin"


def test_plugin_imports_no_framework_or_http_client() -> None:
    code = (
        "import sys, betterauth_jwt.pytest_plugin; "
        "print(','.join(m for m in ('fastapi', 'starlette', 'httpx', 'prometheus_client', 'uvicorn') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == ""


USER_TESTS = """
import pytest
from betterauth_jwt import ExpiredTokenError
from betterauth_jwt.testing import TokenFactory

@pytest.fixture
def betterauth_token_factory():
    return TokenFactory("ES256", issuer="https://app.example.test")  # a user's override: the other fixtures follow

def test_factory_and_verifier(betterauth_token_factory, betterauth_verifier):
    assert betterauth_verifier.verify(betterauth_token_factory.access_token("u1")).user_id == "u1"
    assert betterauth_verifier.issuer == "https://app.example.test"
    with pytest.raises(ExpiredTokenError):
        betterauth_verifier.verify(betterauth_token_factory.expired_token())

def test_jwks_server(betterauth_jwks_server):
    assert betterauth_jwks_server.url.startswith("http://127.0.0.1:")
    assert betterauth_jwks_server.jwks["keys"][0]["alg"] == "ES256"

def test_no_framework_was_needed():
    import sys
    assert sys.modules.get("fastapi") is None and sys.modules.get("starlette") is None
"""


def test_plugin_works_in_a_project_without_fastapi_or_starlette(tmp_path: Path) -> None:
    # A user's project: its own rootdir and config, fastapi and starlette impossible to import.
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (tmp_path / "test_user_app.py").write_text(textwrap.dedent(USER_TESTS))
    runner = (
        "import sys; sys.modules.update(fastapi=None, starlette=None); import pytest; "
        f"sys.exit(pytest.main(['-q', '-W', 'error', {str(tmp_path)!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", runner], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
