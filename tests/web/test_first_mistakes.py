"""The 401s for the mistakes a new user makes first (issue 23), as the middleware sends them: each names what was sent
and what to send instead, and the ones that come from configuration show the values in the log, not in the response."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from betterauth_jwt import InvalidClaimsError, InvalidTokenError, Verifier
from betterauth_jwt._web.credentials import bearer_token
from betterauth_jwt.asgi import BetterAuthMiddleware
from betterauth_jwt.testing import TokenFactory
from tests._adapter_support import factory

SESSION_TOKEN = "aRmqDpiZytrElNf5bd7JfSMPLpYmhcp4"  # 32 letters and digits, as sign-in's JSON "token"
# The raw better-auth.session_token cookie: "<token>.<HMAC>" URL-encoded by better-call (as recorded from Better Auth 1.7)
SESSION_COOKIE = SESSION_TOKEN + ".4t4wSruxjDCfz%2FVaefb3o%2FHSPyZ85M3YM56ln2P%2BZQM%3D"


async def ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def refusal(verifier: Verifier, authorization: str) -> httpx.Response:
    transport = httpx.ASGITransport(BetterAuthMiddleware(ok, verifier))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.get("/todos", headers={"Authorization": authorization})


@pytest.fixture
def tokens() -> TokenFactory:
    return factory()


@pytest.mark.anyio
async def test_the_opaque_session_token_as_a_bearer_says_what_it_is_and_what_to_send(tokens: TokenFactory) -> None:
    response = await refusal(tokens.verifier(), f"Bearer {SESSION_TOKEN}")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "opaque_token"
    assert "session token" in body["detail"]
    assert "/api/auth/token" in body["detail"]
    assert "set-auth-jwt" in body["detail"]
    assert SESSION_TOKEN not in response.text + response.headers["www-authenticate"]


@pytest.mark.anyio
async def test_a_jwt_without_the_bearer_scheme_is_not_missing_token(tokens: TokenFactory) -> None:
    token = tokens.access_token("u1")
    response = await refusal(tokens.verifier(), token)
    assert response.status_code == 401
    assert response.json()["code"] == "no_bearer_scheme"
    assert "no Bearer scheme" in response.json()["detail"]
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    # Another scheme still carries no bearer token (RFC 6750 section 3.1), and "Bearer <jwt>" still works.
    assert (await refusal(tokens.verifier(), "Basic dXNlcjpwYXNz")).json()["code"] == "missing_token"
    assert (await refusal(tokens.verifier(), f"Bearer {token}")).status_code == 200


@pytest.mark.anyio
async def test_the_url_encoded_session_cookie_as_a_bearer_says_it_is_the_session_cookie(tokens: TokenFactory) -> None:
    response = await refusal(tokens.verifier(), f"Bearer {SESSION_COOKIE}")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "not_a_jwt"
    assert "session cookie" in body["detail"]
    assert "/api/auth/token" in body["detail"]
    assert SESSION_TOKEN not in response.text


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1In0.c2ln", "no_bearer_scheme"),
        ("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y2lwaGVy.dGFn", "no_bearer_scheme"),  # a JWE, no scheme
        (f"Bearer {SESSION_COOKIE}", "not_a_jwt"),
        ("Bearer abc%2Fdef", "malformed_authorization"),  # "%" but not the session cookie's shape
        ("eyJ not a token", None),  # an unknown scheme "eyJ": not a bearer token
        ("Basic dXNlcjpwYXNz", None),
    ],
)
def test_bearer_header_cases(value: str, code: str | None) -> None:
    headers = [(b"authorization", value.encode())]
    if code is None:
        assert bearer_token(headers, 16_000) is None
        return
    with pytest.raises(InvalidTokenError) as caught:
        bearer_token(headers, 16_000)
    assert caught.value.code == code


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("claims", "code", "logged"),
    [
        ({"iss": "http://127.0.0.1:3000"}, "invalid_issuer", "iss 'http://127.0.0.1:3000' (accepted: '{issuer}')"),
        ({"aud": "https://api.example.com"}, "invalid_audience", "aud 'https://api.example.com' (accepted: '{aud}')"),
    ],
)
async def test_issuer_and_audience_values_are_logged_never_sent(
    tokens: TokenFactory, caplog: pytest.LogCaptureFixture, claims: dict[str, str], code: str, logged: str
) -> None:
    token = tokens.access_token("u1", **claims)
    with caplog.at_level(logging.INFO, logger="betterauth_jwt"):
        response = await refusal(tokens.verifier(), f"Bearer {token}")
    assert response.json()["code"] == code
    for value in claims.values():
        assert value not in response.text
        assert value not in response.headers["www-authenticate"]
    text = caplog.text
    assert logged.format(issuer=tokens.issuer, aud=tokens.audience) in text
    for part in token.split("."):
        assert part not in text


def test_the_claims_error_carries_the_values(tokens: TokenFactory) -> None:
    with pytest.raises(InvalidClaimsError) as caught:
        tokens.verifier().verify(tokens.access_token("u1", aud=["https://a.example", "https://b.example"]))
    error = caught.value
    assert (error.code, error.claim) == ("invalid_audience", "aud")
    assert error.actual == ["https://a.example", "https://b.example"]
    assert error.expected == (tokens.audience,)
    assert "a.example" not in error.description
    assert "a.example" not in str(error)
    huge = InvalidClaimsError("x", code="invalid_issuer", claim="iss", actual="h" * 5000, expected=("y",))
    assert huge.mismatch is not None
    assert len(huge.mismatch) < 300
