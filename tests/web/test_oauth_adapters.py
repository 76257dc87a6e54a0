"""The HTTP adapters as OAuth resource servers (an ``OAuthVerifier``): the exact RFC 6750 challenges (401 with
``resource_metadata``, 403 ``insufficient_scope`` with ``scope=``), the RFC 9728 metadata document (root and
path-suffixed, CORS), ``request.user`` / ``request.auth.scopes`` and ``@requires``, FastAPI's ``Security`` scopes and its
OpenAPI scheme, and the 503 for an outage."""

# No "from __future__ import annotations": FastAPI must see the route annotations as objects.
import json
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Security
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from betterauth_jwt import AccessGrant, ConfigurationError, Identity, OAuthVerifier
from betterauth_jwt.asgi import BetterAuthMiddleware
from betterauth_jwt.fastapi import BetterAuth
from betterauth_jwt.starlette import BetterAuthBackend, protected_resource_routes
from tests._adapter_support import JSON, Recorder, UnavailableKeys, factory

pytestmark = pytest.mark.anyio

TOKENS = factory()
RESOURCE = "https://api.example.com/mcp"
ROOT_RESOURCE = "https://api.example.com"
METADATA_URL = "https://api.example.com/.well-known/oauth-protected-resource/mcp"
CHALLENGE_401 = f'Bearer realm="api", resource_metadata="{METADATA_URL}"'
SCOPES = ["todos:read", "todos:write"]


def oauth(resource: str = RESOURCE, **options: Any) -> OAuthVerifier:
    return TOKENS.oauth_verifier(resource, **options)


def token(scopes: tuple[str, ...] = ("todos:read",), **options: Any) -> dict[str, str]:
    options.setdefault("resource", RESOURCE)
    return {"Authorization": f"Bearer {TOKENS.oauth_token(scopes=scopes, **options)}"}


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver")


async def whoami(request: Request) -> Response:
    user = request.user
    assert isinstance(user, AccessGrant)
    return JSONResponse({"subject": user.subject, "scopes": list(request.auth.scopes), "name": user.display_name})


@requires("todos:write")
async def write(request: Request) -> Response:
    return JSONResponse({"written": True})


ROUTES = [Route("/mcp", whoami), Route("/write", write)]


def middleware_app(verifier: OAuthVerifier | None = None, **options: Any) -> Any:
    return BetterAuthMiddleware(
        Starlette(routes=ROUTES), verifier or oauth(), scopes_supported=SCOPES, resource_name="Todos", **options
    )


def backend_app(verifier: OAuthVerifier | None = None) -> Starlette:
    verifier = verifier or oauth()
    backend = BetterAuthBackend(verifier)
    return Starlette(
        routes=[*ROUTES, *protected_resource_routes(verifier, scopes_supported=SCOPES, resource_name="Todos")],
        middleware=[Middleware(AuthenticationMiddleware, backend=backend, on_error=backend.on_error)],
    )


def fastapi_app(verifier: OAuthVerifier | None = None) -> FastAPI:
    auth = BetterAuth(
        verifier or oauth(),
        scopes={"todos:read": "Read your todos", "todos:write": "Change your todos"},
        resource_name="Todos",
    )
    app = FastAPI()
    auth.install(app)

    @app.get("/mcp")
    async def read(grant: Annotated[AccessGrant, Depends(auth)]) -> dict[str, Any]:
        return {"subject": grant.subject, "scopes": sorted(grant.scopes)}

    @app.get("/write")
    async def write(grant: Annotated[AccessGrant, Security(auth, scopes=["todos:write"])]) -> dict[str, Any]:
        return {"written": True, "subject": grant.subject}

    return app


APPS = {"middleware": middleware_app, "backend": backend_app, "fastapi": fastapi_app}


# -- 401 and 403, exactly -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["middleware", "fastapi"])
async def test_no_token_is_a_401_pointing_at_the_metadata(kind: str) -> None:
    async with client(APPS[kind]()) as http:
        response = await http.get("/mcp")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == CHALLENGE_401


@pytest.mark.parametrize("kind", list(APPS))
async def test_a_refused_token_says_invalid_token_and_where_the_metadata_is(kind: str) -> None:
    async with client(APPS[kind]()) as http:
        response = await http.get("/mcp", headers=token(resource="https://other.example.com/api"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'Bearer realm="api", error="invalid_token", error_description="the token is meant for another audience", '
        f'resource_metadata="{METADATA_URL}"'
    )
    assert response.json()["code"] == "invalid_audience"


@pytest.mark.parametrize("kind", list(APPS))
async def test_a_first_party_jwt_or_an_id_token_is_refused(kind: str) -> None:
    async with client(APPS[kind]()) as http:
        for credential in (TOKENS.access_token("user_1"), TOKENS.id_token("user_1")):
            response = await http.get("/mcp", headers={"Authorization": f"Bearer {credential}"})
            assert response.status_code == 401
            assert response.json()["code"] in ("wrong_token_kind", "invalid_audience")


@pytest.mark.parametrize("kind", list(APPS))
async def test_a_dpop_bound_token_is_not_a_bearer_token(kind: str) -> None:
    async with client(APPS[kind]()) as http:
        response = await http.get("/mcp", headers=token(dpop_jkt="0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"))
    assert response.status_code == 401
    assert response.json()["code"] == "sender_constrained_token"


@pytest.mark.parametrize("kind", list(APPS))
async def test_the_verifiers_required_scopes_are_a_403_naming_them(kind: str) -> None:
    recorder = Recorder()
    verifier = oauth(required_scopes=["todos:read", "todos:write"])
    app = middleware_app(verifier, on_outcome=recorder) if kind == "middleware" else APPS[kind](verifier)
    async with client(app) as http:
        response = await http.get("/mcp", headers=token(("todos:read",)))
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", error_description="this request needs the scope(s): '
        f'todos:write", scope="todos:write", resource_metadata="{METADATA_URL}"'
    )
    assert response.json() == {"detail": "this request needs the scope(s): todos:write", "code": "insufficient_scope"}
    if kind == "middleware":
        assert [(o.code, o.status) for o in recorder.outcomes] == [("insufficient_scope", 403)]


async def test_fastapi_security_scopes_are_a_403_naming_the_missing_ones() -> None:
    async with client(fastapi_app()) as http:
        refused = await http.get("/write", headers=token(("todos:read",)))
        allowed = await http.get("/write", headers=token(("todos:read", "todos:write"), user_id="u7"))
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    assert ', scope="todos:write", ' in refused.headers["www-authenticate"]
    assert allowed.json() == {"written": True, "subject": "u7"}


@pytest.mark.parametrize("kind", ["middleware", "backend"])
async def test_request_user_is_the_grant_and_requires_reads_its_scopes(kind: str) -> None:
    async with client(APPS[kind]()) as http:
        read = await http.get("/mcp", headers=token(("todos:read",), user_id="u1"))
        refused = await http.get("/write", headers=token(("todos:read",)))
        written = await http.get("/write", headers=token(("todos:read", "todos:write")))
    assert read.json() == {"subject": "u1", "scopes": ["authenticated", "todos:read"], "name": "u1"}
    assert refused.status_code == 403  # Starlette's @requires: its own 403
    assert written.json() == {"written": True}


async def test_keys_unavailable_is_a_503_not_a_401() -> None:
    verifier = OAuthVerifier(UnavailableKeys(), issuer=TOKENS.oauth_issuer, resource=RESOURCE, clock=TOKENS.clock)
    for kind in APPS:
        async with client(APPS[kind](verifier)) as http:
            response = await http.get("/mcp", headers=token())
        assert response.status_code == 503, kind
        assert response.headers["retry-after"] == "13"


# -- RFC 9728 metadata ----------------------------------------------------------------------------------------------

DOCUMENT = {
    "resource": RESOURCE,
    "authorization_servers": [TOKENS.oauth_issuer],
    "bearer_methods_supported": ["header"],
    "scopes_supported": SCOPES,
    "resource_name": "Todos",
}


@pytest.mark.parametrize("kind", list(APPS))
@pytest.mark.parametrize("path", ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"])
async def test_the_metadata_document_is_public_cacheable_and_cors_readable(kind: str, path: str) -> None:
    async with client(APPS[kind]()) as http:
        response = await http.get(path, headers={"Origin": "http://localhost:6274"})
        preflight = await http.options(
            path, headers={"Origin": "http://localhost:6274", "Access-Control-Request-Method": "GET"}
        )
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert json.loads(response.content) == DOCUMENT
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["access-control-allow-origin"] == "*"
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "GET" in preflight.headers["access-control-allow-methods"]


async def test_a_root_resource_has_one_metadata_path() -> None:
    verifier = oauth(ROOT_RESOURCE)
    app = BetterAuthMiddleware(Starlette(routes=ROUTES), verifier)
    async with client(app) as http:
        document = (await http.get("/.well-known/oauth-protected-resource")).json()
        unauthenticated = await http.get("/mcp")
    assert document == {
        "resource": ROOT_RESOURCE,
        "authorization_servers": [TOKENS.oauth_issuer],
        "bearer_methods_supported": ["header"],
    }
    assert unauthenticated.headers["www-authenticate"] == (
        'Bearer realm="api", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"'
    )


# -- FastAPI: types and the OpenAPI scheme ---------------------------------------------------------------------------


def test_the_openapi_scheme_is_oauth2_authorization_code_at_better_auth_with_the_scopes() -> None:
    schema = fastapi_app().openapi()
    assert schema["components"]["securitySchemes"]["BetterAuth"] == {
        "type": "oauth2",
        "description": "An access token from Better Auth's OAuth provider for this resource.",
        "flows": {
            "authorizationCode": {
                "authorizationUrl": f"{TOKENS.oauth_issuer}/oauth2/authorize",
                "tokenUrl": f"{TOKENS.oauth_issuer}/oauth2/token",
                "scopes": {"todos:read": "Read your todos", "todos:write": "Change your todos"},
            }
        },
    }
    assert schema["paths"]["/write"]["get"]["security"] == [{"BetterAuth": ["todos:write"]}]
    assert "/.well-known/oauth-protected-resource/mcp" not in schema["paths"]


async def test_a_first_party_verifier_still_yields_an_identity_and_reads_roles_as_scopes() -> None:
    auth = BetterAuth(TOKENS.verifier())  # BetterAuth[Identity]; with an OAuthVerifier, BetterAuth[AccessGrant]
    app = FastAPI()

    @app.get("/admin")
    async def admin(user: Annotated[Identity, Security(auth, scopes=["role:admin"])]) -> dict[str, Any]:
        return {"user_id": user.user_id}

    async with client(app) as http:
        allowed = await http.get(
            "/admin", headers={"Authorization": f"Bearer {TOKENS.access_token('a', role='admin')}"}
        )
        refused = await http.get("/admin", headers={"Authorization": f"Bearer {TOKENS.access_token('b')}"})
    assert allowed.json() == {"user_id": "a"}
    assert refused.status_code == 403
    assert refused.headers["www-authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", error_description="this request needs the scope(s): '
        'role:admin", scope="role:admin"'
    )


def test_oauth_options_are_refused_with_a_first_party_verifier() -> None:
    with pytest.raises(ConfigurationError):
        BetterAuth(TOKENS.verifier(), scopes=["todos:read"])  # type: ignore[call-overload]
    with pytest.raises(ConfigurationError):
        BetterAuthMiddleware(Starlette(), TOKENS.verifier(), resource_name="Todos")
    with pytest.raises(ConfigurationError, match="bearer tokens only"):
        BetterAuthMiddleware(Starlette(), oauth(), cookie=True)
