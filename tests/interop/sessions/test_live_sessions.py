"""Against a real Better Auth server: its cookie verifies, and each way Better Auth ends a session (sign-out, revoke,
admin ban, expiry) is refused on the very next request, through each store; forgeries and cross-site requests too."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from urllib.parse import quote, unquote

import pytest

from betterauth_jwt import (
    CrossSiteRequestError,
    InvalidSignatureError,
    InvalidTokenError,
    MalformedTokenError,
    SessionRejectedError,
    SessionVerifier,
    SharedSecret,
    TokenKind,
    Verifier,
)
from betterauth_jwt._web.sessions import verify_session_request
from tests.interop.harness import SESSION_TOKEN_COOKIE, TEST_SECRET, Session, sign_in, sign_up
from tests.interop.sessions.conftest import SHORT_SESSION_SECONDS, Deployment, deploy, new_email
from tests.stores._support import tampered
from tests.stores.conftest import Verify

PASSWORD = "correct horse battery staple"


def raw_cookie(session: Session) -> str:
    """The session cookie as the browser holds and sends it: URL-encoded, exactly as Set-Cookie wrote it."""
    value = session.client.cookies.get(SESSION_TOKEN_COOKIE)
    assert value is not None
    assert "%" in value  # Better Auth URL-encodes the base64 signature's '+', '/' and '='
    return value


def test_a_signed_in_cookie_verifies(deployment: Deployment, sessions: SessionVerifier, verify: Verify) -> None:
    with sign_up(deployment.server.base_url, new_email(), PASSWORD, "Ada") as user:
        identity = verify(sessions, raw_cookie(user))
        assert identity.kind is TokenKind.SESSION
        assert identity.user_id == user.user["id"]
        assert identity.email == user.user["email"]
        assert identity.name == "Ada"
        assert identity.email_verified is False
        assert identity.session_id
        assert "token" not in identity.claims["session"]
        # decoded (the bearer plugin's set-auth-token) works too
        assert verify(sessions, unquote(raw_cookie(user))).user_id == user.user["id"]
        bearer = user.bearer_token()
        assert bearer is not None
        assert verify(sessions, bearer).session_id == identity.session_id


def test_sign_out_is_refused_on_the_very_next_request(
    deployment: Deployment, sessions: SessionVerifier, verify: Verify
) -> None:
    with sign_up(deployment.server.base_url, new_email(), PASSWORD, "Ada") as user:
        cookie = raw_cookie(user)
        verify(sessions, cookie)
        assert user.client.post("/sign-out").status_code == 200
        with pytest.raises(SessionRejectedError) as refused:
            verify(sessions, cookie)
        assert refused.value.code in ("session_not_found", "session_revoked")


def test_revoke_sessions_is_refused(deployment: Deployment, sessions: SessionVerifier, verify: Verify) -> None:
    email = new_email()
    base = deployment.server.base_url
    with sign_up(base, email, PASSWORD, "Ada") as laptop, sign_in(base, email, PASSWORD) as phone:
        cookie = raw_cookie(laptop)
        verify(sessions, cookie)
        assert phone.client.post("/revoke-sessions", json={}).status_code == 200  # "sign out everywhere"
        with pytest.raises(SessionRejectedError):
            verify(sessions, cookie)


def test_an_admin_ban_is_refused(deployment: Deployment, sessions: SessionVerifier, verify: Verify) -> None:
    base = deployment.server.base_url
    admin_email = new_email("admin")
    with sign_up(base, admin_email, PASSWORD, "Admin") as first:
        deployment.make_admin(first.user["id"])
    with sign_in(base, admin_email, PASSWORD) as admin, sign_up(base, new_email(), PASSWORD, "Eve") as victim:
        cookie = raw_cookie(victim)
        verify(sessions, cookie)
        response = admin.client.post("/admin/ban-user", json={"userId": victim.user["id"], "banReason": "spam"})
        assert response.status_code == 200, response.text
        with pytest.raises(SessionRejectedError):
            verify(sessions, cookie)


def test_forged_resigned_and_truncated_cookies(
    deployment: Deployment, sessions: SessionVerifier, verify: Verify
) -> None:
    with sign_up(deployment.server.base_url, new_email(), PASSWORD, "Ada") as user:
        token = unquote(raw_cookie(user)).rpartition(".")[0]

        def signed(token: str, secret: str) -> str:
            mac = hmac.digest(secret.encode(), token.encode(), hashlib.sha256)
            return quote(f"{token}.{base64.b64encode(mac).decode()}", safe="")

        with pytest.raises(InvalidSignatureError):
            verify(sessions, signed(token, "an-attackers-own-secret-an-attackers-own-secret"))
        with pytest.raises(InvalidSignatureError):
            verify(sessions, tampered(unquote(signed(token, TEST_SECRET))))
        assert sessions.stats["store_lookups"] == 0  # none of these reached the store
        with pytest.raises(MalformedTokenError):
            verify(sessions, raw_cookie(user)[:-1])  # truncated
        with pytest.raises(SessionRejectedError) as never_issued:
            verify(sessions, signed("A" * 32, TEST_SECRET))  # genuinely signed, but never issued
        assert never_issued.value.code == "session_not_found"


def test_a_cross_site_post_with_a_real_cookie_is_403(deployment: Deployment, sessions: SessionVerifier) -> None:
    with sign_up(deployment.server.base_url, new_email(), PASSWORD, "Ada") as user:
        cookie = f"{SESSION_TOKEN_COOKIE}={raw_cookie(user)}".encode()
        host = deployment.server.base_url.removeprefix("http://").encode()
        attack = [(b"host", host), (b"cookie", cookie), (b"origin", b"https://evil.example"),
                  (b"sec-fetch-site", b"cross-site")]  # fmt: skip
        with pytest.raises(CrossSiteRequestError):
            verify_session_request(sessions, "POST", attack)
        assert sessions.stats["store_lookups"] == 0  # refused before the cookie was even looked at
        same_origin = [(b"host", host), (b"cookie", cookie), (b"origin", deployment.server.base_url.encode()),
                       (b"sec-fetch-site", b"same-origin")]  # fmt: skip
        identity = verify_session_request(sessions, "POST", same_origin)
        assert identity is not None
        assert identity.user_id == user.user["id"]


@pytest.mark.slow
@pytest.mark.parametrize(("config", "kinds"), [("postgres", ("sql", "remote")), ("redis", ("redis", "remote-redis"))])
def test_an_expired_session_is_refused(
    config: str, kinds: tuple[str, ...], sessions_node_project: None, interop_redis_url: str, verify: Verify
) -> None:
    with deploy(config, interop_redis_url, BA_SESSION_EXPIRES_IN=str(SHORT_SESSION_SECONDS)) as short:
        verifiers = [short.sessions(kind) for kind in kinds]
        with sign_up(short.server.base_url, new_email(), PASSWORD, "Ada") as user:
            cookie = raw_cookie(user)
            for sessions in verifiers:
                verify(sessions, cookie)
            time.sleep(SHORT_SESSION_SECONDS + 1)
            for sessions in verifiers:
                with pytest.raises(InvalidTokenError) as refused:
                    verify(sessions, cookie)
                # SQL: the row is still there, past expiresAt; Redis: its TTL removed the key; remote: Better Auth
                # answers null
                assert refused.value.code in ("session_expired", "session_not_found")


@pytest.mark.parametrize("strategy", ["compact", "jwe", "jwt"])
def test_the_cookie_cache_of_each_strategy_verifies(
    strategy: str, sessions_node_project: None, interop_redis_url: str
) -> None:
    with (
        deploy("postgres", interop_redis_url, BA_COOKIE_CACHE=strategy) as deployment,
        sign_up(deployment.server.base_url, new_email(), PASSWORD, "Zoë") as user,
    ):
        body, _, _ = user.get_session()  # sets the session_data cookie
        cookie = user.session_data_cookie()
        assert cookie is not None
        assert body is not None
        verifier = Verifier(SharedSecret(TEST_SECRET), kind=TokenKind.SESSION_COOKIE)
        identity = verifier.verify(cookie)
        assert identity.kind is TokenKind.SESSION_COOKIE
        assert (identity.user_id, identity.name) == (user.user["id"], "Zoë")
        assert identity.session_id == body["session"]["id"]
        with pytest.raises(InvalidTokenError):
            Verifier(
                SharedSecret("another-secret-another-secret-another-secret"), kind=TokenKind.SESSION_COOKIE
            ).verify(cookie)


def test_through_the_middleware_cross_site_is_403_and_sign_out_401(
    deployment: Deployment, sessions: SessionVerifier
) -> None:
    from betterauth_jwt.asgi import BetterAuthMiddleware
    from betterauth_jwt.testing import TokenFactory
    from tests._adapter_support import call_asgi
    from tests.web.test_session_adapters import whoami

    app = BetterAuthMiddleware(whoami, TokenFactory("EdDSA").verifier(), cookie=sessions)
    origin = deployment.server.base_url.encode()
    with sign_up(deployment.server.base_url, new_email(), PASSWORD, "Ada") as user:
        cookie = (b"cookie", f"{SESSION_TOKEN_COOKIE}={raw_cookie(user)}".encode())

        async def scenario() -> list[int]:
            statuses = [
                await call_asgi(app, "/", method="POST", headers=[cookie, (b"origin", origin)]),
                await call_asgi(app, "/", method="POST", headers=[cookie, (b"origin", b"https://evil.example"),
                                                                   (b"sec-fetch-site", b"cross-site")]),
            ]  # fmt: skip
            assert user.client.post("/sign-out").status_code == 200
            statuses.append(await call_asgi(app, "/", method="POST", headers=[cookie, (b"origin", origin)]))
            await sessions.aclose()
            return statuses

        assert asyncio.run(scenario()) == [200, 403, 401]
