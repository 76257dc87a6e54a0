"""betterauth_jwt.metrics: outcomes through a real FastAPI app, the token cache, and a RemoteJWKS against a real server."""

# No `from __future__ import annotations`: FastAPI must see the route annotations, which use aliases local to app_with.
import subprocess
import sys
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from prometheus_client import CollectorRegistry, generate_latest

from betterauth_jwt import AuthOutcome, Identity, RemoteJWKS, Verifier
from betterauth_jwt.fastapi import BetterAuth
from betterauth_jwt.metrics import PrometheusMetrics
from betterauth_jwt.testing import JWKSServer, TokenFactory

NOW = 1_760_000_000.0


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def factory() -> TokenFactory:
    return TokenFactory(clock=lambda: NOW)


def app_with(auth: BetterAuth) -> FastAPI:
    app = FastAPI()
    auth.install(app)
    User = Annotated[Identity, Depends(auth)]
    Admin = Annotated[Identity, Depends(auth.require(role="admin"))]

    @app.get("/me")
    async def me(user: User) -> str:
        return user.user_id

    @app.get("/admin")
    async def admin(user: Admin) -> str:
        return user.user_id

    return app


def outcomes(registry: CollectorRegistry, code: str, status: int) -> float:
    value = registry.get_sample_value("betterauth_jwt_auth_outcomes_total", {"code": code, "status": str(status)})
    return value or 0.0


@pytest.mark.anyio
async def test_outcomes_are_counted_by_code_and_status(registry: CollectorRegistry, factory: TokenFactory) -> None:
    metrics = PrometheusMetrics(registry=registry, clock=factory.clock)
    app = app_with(BetterAuth(factory.verifier(), on_outcome=metrics))
    valid = {"Authorization": f"Bearer {factory.access_token()}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver") as http:
        assert (await http.get("/me", headers=valid)).status_code == 200
        assert (await http.get("/me", headers=valid)).status_code == 200
        assert (await http.get("/me")).status_code == 401
        expired = {"Authorization": f"Bearer {factory.expired_token()}"}
        assert (await http.get("/me", headers=expired)).status_code == 401
        assert (await http.get("/admin", headers=valid)).status_code == 403
    assert outcomes(registry, "ok", 200) == 2
    assert outcomes(registry, "missing_token", 401) == 1
    assert outcomes(registry, "token_expired", 401) == 1
    assert outcomes(registry, "insufficient_scope", 403) == 1


def test_remaining_lifetime_histogram(registry: CollectorRegistry, factory: TokenFactory) -> None:
    metrics = PrometheusMetrics(registry=registry, clock=lambda: NOW + 400)  # tokens issued at NOW live 900 s
    verifier = factory.verifier(leeway=0)
    identity = verifier.verify(factory.access_token())
    metrics(AuthOutcome("ok", 200, "/me", identity))
    metrics(AuthOutcome("token_expired", 401, "/me"))

    def bucket(le: str) -> float:
        return registry.get_sample_value("betterauth_jwt_token_remaining_seconds_bucket", {"le": le}) or 0.0

    assert bucket("300.0") == 0
    assert bucket("600.0") == 1
    assert registry.get_sample_value("betterauth_jwt_token_remaining_seconds_count") == 1
    assert registry.get_sample_value("betterauth_jwt_token_remaining_seconds_sum") == 500


def test_token_cache_hits_and_misses(registry: CollectorRegistry, factory: TokenFactory) -> None:
    metrics = PrometheusMetrics(registry=registry)
    verifier = factory.verifier()
    metrics.watch(verifier, name="api")
    token = factory.access_token()
    for _ in range(3):
        verifier.verify(token)
    verifier.verify(factory.access_token("other"))
    assert registry.get_sample_value("betterauth_jwt_token_cache_hits_total", {"verifier": "api"}) == 2
    assert registry.get_sample_value("betterauth_jwt_token_cache_misses_total", {"verifier": "api"}) == 2
    assert registry.get_sample_value("betterauth_jwt_jwks_fetches_total", {"url": "x"}) is None  # StaticJWKS: none


def test_jwks_fetches_failures_and_stale_keys(registry: CollectorRegistry) -> None:
    factory = TokenFactory()
    now = [0.0]
    metrics = PrometheusMetrics(registry=registry)
    with JWKSServer(factory) as server, RemoteJWKS(server.url, ttl=60, min_ttl=60, clock=lambda: now[0]) as keys:
        verifier = Verifier(keys, issuer=factory.issuer, audience=factory.issuer, cache_size=0)
        metrics.watch(verifier)

        def sample(name: str) -> float | None:
            return registry.get_sample_value(f"betterauth_jwt_jwks_{name}", {"url": server.url})

        assert sample("ready") == 0
        assert sample("fetches_total") == 0
        verifier.verify(factory.access_token())
        assert (sample("fetches_total"), sample("fetch_failures_total"), sample("ready"), sample("keys")) == (
            1,
            0,
            1,
            1,
        )

        server.fail(503)
        now[0] = 61.0  # past the TTL: the refresh fails, the last good set keeps serving
        verifier.verify(factory.access_token())
        assert sample("fetches_total") == 2
        assert sample("fetch_failures_total") == 1
        assert sample("stale_served_total") == 1
        assert sample("ready") == 1


def test_exposition_and_unregister(registry: CollectorRegistry, factory: TokenFactory) -> None:
    metrics = PrometheusMetrics(registry=registry)
    metrics.watch(factory.verifier())
    types = {line for line in generate_latest(registry).decode().splitlines() if line.startswith("# TYPE ")}
    assert types >= {
        "# TYPE betterauth_jwt_auth_outcomes_total counter",
        "# TYPE betterauth_jwt_token_remaining_seconds histogram",
        "# TYPE betterauth_jwt_token_cache_hits_total counter",
        "# TYPE betterauth_jwt_token_cache_misses_total counter",
        "# TYPE betterauth_jwt_jwks_fetches_total counter",
        "# TYPE betterauth_jwt_jwks_fetch_failures_total counter",
        "# TYPE betterauth_jwt_jwks_stale_served_total counter",
        "# TYPE betterauth_jwt_jwks_ready gauge",
        "# TYPE betterauth_jwt_jwks_keys gauge",
    }
    metrics.unregister()
    assert generate_latest(registry) == b""


def test_one_name_per_verifier(registry: CollectorRegistry, factory: TokenFactory) -> None:
    metrics = PrometheusMetrics(registry=registry)
    verifier = factory.verifier()
    metrics.watch(verifier)
    metrics.watch(verifier)  # the same one again is fine
    with pytest.raises(ValueError, match="already watched"):
        metrics.watch(factory.verifier())
    with pytest.raises(TypeError):
        metrics.watch(object())  # type: ignore[arg-type]


def test_import_without_prometheus_client_names_the_extra() -> None:
    code = "import sys; sys.modules['prometheus_client'] = None; import betterauth_jwt.metrics"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "ImportError: betterauth_jwt.metrics needs prometheus-client: pip install 'betterauth-jwt[prometheus]'" in (
        result.stderr
    )
