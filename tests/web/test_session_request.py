"""A request's session cookie: the CSRF check comes first, so a cross-site request learns nothing about its cookie."""

from __future__ import annotations

import asyncio

import pytest

from betterauth_jwt import CrossSiteRequestError, MalformedTokenError, OriginCheck, SessionVerifier
from betterauth_jwt._web.sessions import averify_session_request, session_request_cookie, verify_session_request
from tests.kinds.test_session import MemoryStore
from tests.stores._support import NOW, SECRET, Row

APP = "https://app.example.com"
CROSS_SITE = [(b"origin", b"https://evil.example"), (b"sec-fetch-site", b"cross-site")]
SAME_SITE = [(b"origin", APP.encode()), (b"sec-fetch-site", b"same-site")]


def sessions(*rows: Row) -> SessionVerifier:
    return SessionVerifier(secret=SECRET, store=MemoryStore(*rows), csrf=OriginCheck([APP]), clock=NOW.timestamp)


def cookie_header(value: str, name: str = "better-auth.session_token") -> tuple[bytes, bytes]:
    return (b"cookie", f"theme=dark; {name}={value}".encode())


def test_the_cookie_of_a_trusted_request_verifies() -> None:
    row = Row()
    verifier = sessions(row)
    headers = [cookie_header(row.cookie()), *SAME_SITE]
    identity = verify_session_request(verifier, "POST", headers)
    assert identity is not None
    assert identity.user_id == row.user_id
    async_identity = asyncio.run(averify_session_request(verifier, "DELETE", headers))
    assert async_identity is not None
    assert async_identity.session_id == row.session_id
    secure = [cookie_header(row.cookie(), "__Secure-better-auth.session_token"), *SAME_SITE]
    assert verify_session_request(verifier, "POST", secure) == identity


@pytest.mark.parametrize("value", [Row().cookie(), "garbage", "x" * 5000])
def test_a_cross_site_request_is_403_whatever_its_cookie(value: str) -> None:
    verifier = sessions(Row())
    with pytest.raises(CrossSiteRequestError):
        session_request_cookie(verifier, "POST", [cookie_header(value), *CROSS_SITE])
    with pytest.raises(CrossSiteRequestError):
        session_request_cookie(verifier, "GET", [cookie_header(value), *CROSS_SITE], websocket=True)


def test_without_a_cookie_there_is_nothing_to_check() -> None:
    verifier = sessions()
    assert verify_session_request(verifier, "POST", CROSS_SITE) is None
    assert session_request_cookie(verifier, "GET", [cookie_header("x", "other")]) is None


def test_a_cross_site_get_is_allowed_to_carry_the_cookie() -> None:
    row = Row()
    identity = verify_session_request(sessions(row), "GET", [cookie_header(row.cookie()), *CROSS_SITE])
    assert identity is not None  # SameSite=Lax sends it on top-level navigations; a GET must not change anything


def test_two_session_cookies_are_refused_rather_than_one_picked() -> None:
    row = Row()
    headers = [cookie_header(row.cookie()), cookie_header(Row().cookie()), *SAME_SITE]
    with pytest.raises(MalformedTokenError):
        session_request_cookie(sessions(row), "POST", headers)
