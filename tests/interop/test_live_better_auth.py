"""A real Better Auth 1.7 server issues tokens; this library must agree with it on every configuration.

Each test signs real users up on a live server (tests/interop/betterauth/server.mjs) and verifies what it hands out:
the access token from /api/auth/token, the set-auth-jwt header of get-session, and the session_data cookie.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from betterauth_jwt import (
    InvalidTokenError,
    RemoteJWKS,
    SharedSecret,
    TokenKind,
    Verifier,
)
from tests.interop.conftest import new_email, start_server
from tests.interop.harness import TEST_SECRET, BetterAuthServer, Session, sign_up

PASSWORD = "correct horse battery staple"
JWKS_CONFIGS = ["eddsa", "es256", "es512", "rs256", "ps256"]


@pytest.fixture
def session(better_auth: BetterAuthServer) -> Iterator[Session]:
    with sign_up(better_auth.base_url, new_email(), PASSWORD, "Ada Lovelace") as signed_in:
        yield signed_in


class CountingClient(httpx.Client):
    """An httpx client injected into RemoteJWKS that counts the JWKS requests it makes."""

    def __init__(self) -> None:
        super().__init__(event_hooks={"request": [self._count]})
        self.requests = 0

    def _count(self, request: httpx.Request) -> None:
        self.requests += 1


def jwks_verifier(server: BetterAuthServer, **options: object) -> Verifier:
    options.setdefault("issuer", server.base_url)
    options.setdefault("audience", server.base_url)
    return Verifier(RemoteJWKS(server.jwks_url), **options)  # type: ignore[arg-type]


def reject_code(verifier: Verifier, token: str) -> str:
    with pytest.raises(InvalidTokenError) as caught:
        verifier.verify(token)
    return caught.value.code


@pytest.mark.parametrize("better_auth", JWKS_CONFIGS, indirect=True)
def test_access_tokens_verify_against_the_live_jwks(better_auth: BetterAuthServer, session: Session) -> None:
    verifier = jwks_verifier(better_auth)
    _, header_token, _ = session.get_session()
    assert header_token is not None
    for token in (session.token(), header_token):
        identity = verifier.verify(token)
        assert identity.user_id == session.user["id"]
        assert identity.email == session.user["email"]
        assert identity.name == "Ada Lovelace"
        assert identity.kind is TokenKind.ACCESS


@pytest.mark.anyio
@pytest.mark.parametrize("better_auth", ["eddsa"], indirect=True)
async def test_for_better_auth_defaults_match_the_server(better_auth: BetterAuthServer, session: Session) -> None:
    verifier = Verifier.for_better_auth(better_auth.base_url)
    identity = await verifier.averify(session.token())
    assert identity.user_id == session.user["id"]


@pytest.mark.parametrize("better_auth", ["custom-claims"], indirect=True)
def test_custom_issuer_audience_array_and_define_payload(better_auth: BetterAuthServer, session: Session) -> None:
    verifier = jwks_verifier(better_auth, issuer="https://issuer.example.test", audience="https://api.example.test")
    identity = verifier.verify(session.token())
    assert identity.user_id == session.user["id"]
    assert identity.claims["role"] == "admin"
    # The default issuer/audience (the server's origin) must not accept these tokens.
    assert reject_code(jwks_verifier(better_auth), session.token()) == "invalid_issuer"


@pytest.mark.parametrize("better_auth", ["hs256"], indirect=True)
def test_custom_hs256_signer_with_the_shared_secret(better_auth: BetterAuthServer, session: Session) -> None:
    verifier = Verifier.for_better_auth(better_auth.base_url, secret=TEST_SECRET)
    assert verifier.verify(session.token()).user_id == session.user["id"]
    wrong_secret = Verifier.for_better_auth(better_auth.base_url, secret="another-secret-" + "x" * 40)
    assert reject_code(wrong_secret, session.token()) == "invalid_signature"


@pytest.mark.parametrize("better_auth", ["cookie-jwt"], indirect=True)
def test_session_cookie_signed_with_the_raw_secret(better_auth: BetterAuthServer, session: Session) -> None:
    body, _, _ = session.get_session()
    cookie = session.session_data_cookie()
    assert cookie is not None
    assert body is not None
    verifier = Verifier(SharedSecret(TEST_SECRET), kind=TokenKind.SESSION_COOKIE)
    identity = verifier.verify(cookie)
    assert identity.user_id == session.user["id"]
    assert identity.session_id == body["session"]["id"]
    assert identity.kind is TokenKind.SESSION_COOKIE
    # Kinds never mix: the cookie is no access token, the access token is no cookie.
    access = Verifier.for_better_auth(better_auth.base_url, secret=TEST_SECRET)
    assert reject_code(access, cookie) == "wrong_token_kind"
    assert reject_code(verifier, session.token()) in {"wrong_token_kind", "algorithm_mismatch", "unsupported_algorithm"}


@pytest.mark.parametrize("better_auth", ["cookie-jwks"], indirect=True)
def test_session_cookie_signed_with_the_jwks_key(better_auth: BetterAuthServer, session: Session) -> None:
    session.get_session()
    cookie = session.session_data_cookie()
    assert cookie is not None
    verifier = jwks_verifier(better_auth, kind=TokenKind.SESSION_COOKIE, audience=None)
    assert verifier.verify(cookie).user_id == session.user["id"]
    assert reject_code(jwks_verifier(better_auth), cookie) == "wrong_token_kind"
    assert reject_code(verifier, session.token()) == "wrong_token_kind"


@pytest.mark.parametrize("better_auth", ["eddsa"], indirect=True)
def test_a_token_from_another_server_is_an_unknown_key(better_auth: BetterAuthServer, session: Session) -> None:
    other = start_server("eddsa")
    try:
        verifier = Verifier(RemoteJWKS(other.jwks_url), issuer=better_auth.base_url, audience=better_auth.base_url)
        assert reject_code(verifier, session.token()) == "unknown_key"
    finally:
        other.stop()


@pytest.mark.parametrize("better_auth", ["eddsa"], indirect=True)
def test_tampered_expired_and_non_jwt_real_tokens_are_rejected(better_auth: BetterAuthServer, session: Session) -> None:
    token = session.token()
    header, payload, signature = token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    assert reject_code(jwks_verifier(better_auth), f"{header}.{payload}.{flipped}") == "invalid_signature"

    exp = jwks_verifier(better_auth).verify(token).expires_at.timestamp()
    after_expiry = jwks_verifier(better_auth, clock=lambda: exp + 1)
    assert reject_code(after_expiry, token) == "token_expired"

    bearer = session.bearer_token()
    assert bearer is not None
    assert reject_code(jwks_verifier(better_auth), bearer) == "not_a_jwt"


@pytest.mark.parametrize("better_auth", ["rotation"], indirect=True)
def test_rotation_costs_one_fetch_and_old_tokens_keep_verifying(
    better_auth: BetterAuthServer, session: Session
) -> None:
    client = CountingClient()
    keys = RemoteJWKS(better_auth.jwks_url, client=client)
    verifier = Verifier(keys, issuer=better_auth.base_url, audience=better_auth.base_url)
    old_token = session.token()
    assert verifier.verify(old_token).user_id == session.user["id"]
    assert client.requests == 1

    time.sleep(2.5)  # the server's rotationInterval is 2 s: its next signing creates a new key
    new_token = session.token()
    old_kid = old_token.split(".")[0]
    assert new_token.split(".")[0] != old_kid, "Better Auth did not rotate its key"

    assert verifier.verify(new_token).user_id == session.user["id"]
    assert client.requests == 2  # exactly one refetch for the new kid
    assert verifier.verify(old_token).user_id == session.user["id"]  # still published during the grace period
    assert client.requests == 2
    keys.close()
    client.close()
