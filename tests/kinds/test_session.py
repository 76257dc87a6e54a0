"""The session_token cookie: its format and signature (BETTER_AUTH.md section 7), the refusal rules, and the
SessionVerifier around them, over an in-memory store (the real stores are tested in tests/stores)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Generator
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from betterauth_jwt import (
    ConfigurationError,
    InvalidSignatureError,
    InvalidTokenError,
    MalformedTokenError,
    OriginCheck,
    SessionRejectedError,
    SessionVerifier,
    SharedSecret,
    StoreUnavailableError,
    TokenKind,
    Verifier,
)
from betterauth_jwt._kinds.session import parse_session_cookie
from betterauth_jwt._stores.base import SessionRecord, SignedCookie, record_from_documents
from tests.stores._support import NOW, SECRET, Row, sign

ROTATED = "the-next-secret-the-next-secret-the-next-secret"


class MemoryStore:
    """A session store over a dict, for the verifier's own logic; records what it was asked."""

    def __init__(self, *rows: Row) -> None:
        self.rows = {row.token: row for row in rows}
        self.asked: list[str] = []
        self.fail = False

    def lookup(self, cookie: SignedCookie) -> Generator[object, object, SessionRecord | None]:
        found = yield cookie.token
        if found is None:
            return None
        assert isinstance(found, Row)
        return record_from_documents(found.session(), found.user(), token=cookie.token)

    def run(self, operation: object) -> object:
        if self.fail:
            raise StoreUnavailableError("down")
        assert isinstance(operation, str)
        self.asked.append(operation)
        return self.rows.get(operation)

    async def arun(self, operation: object) -> object:
        return self.run(operation)

    def close(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


def sessions(store: MemoryStore, secret: Any = SECRET, **options: Any) -> SessionVerifier:
    options.setdefault("clock", NOW.timestamp)
    return SessionVerifier(secret=secret, store=store, csrf=None, **options)


# -- the cookie's format --------------------------------------------------------------------------------------------


def test_parse_splits_at_the_last_dot_and_url_decodes() -> None:
    signed = sign("abc.def")  # a token may contain a dot: Better Auth splits at the last one
    token, value, signature = parse_session_cookie(quote(signed, safe=""))
    assert (token, value) == ("abc.def", signed)
    assert len(signature) == 32
    assert parse_session_cookie(signed)[0] == "abc.def"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "no-dot-at-all",
        ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # no token
        "token.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # 43 characters, no padding
        "token.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # 44 characters without '='
        "token.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-_=",  # base64url, not standard base64
        "token.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=",  # non-canonical: a second spelling of one signature
        "tok\nen.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",  # a JWT
    ],
)
def test_malformed_cookies(value: str) -> None:
    with pytest.raises(MalformedTokenError) as refused:
        parse_session_cookie(value)
    assert refused.value.code == "malformed_cookie"


def test_size_is_capped_before_any_work() -> None:
    with pytest.raises(MalformedTokenError) as refused:
        parse_session_cookie("%" * 5000)
    assert refused.value.code == "token_too_large"


@given(st.one_of(st.text(max_size=200), st.binary(max_size=100), st.none(), st.integers()))
def test_whatever_the_input_only_invalid_token_errors_escape(value: Any) -> None:
    verifier = sessions(MemoryStore())
    with pytest.raises(InvalidTokenError):
        verifier.verify(value)


# -- the signature ----------------------------------------------------------------------------------------------------


def test_only_the_current_secret_verifies() -> None:
    row = Row()
    store = MemoryStore(row)
    rotated = sessions(store, secret=SharedSecret([ROTATED, SECRET]))  # SECRET is now the old one
    with pytest.raises(InvalidSignatureError):
        rotated.verify(row.cookie())  # Better Auth signs everyone out when the secret rotates; so do we
    assert rotated.verify(row.cookie(secret=ROTATED)).user_id == row.user_id


@pytest.mark.parametrize(
    "forge",
    [
        lambda row: sign(row.token, "an-attackers-secret-an-attackers-secret"),
        lambda row: sign(row.token + "x")[:-45] + sign(row.token)[-45:],
        lambda row: row.token + "." + base64.b64encode(bytes(32)).decode(),
        lambda row: row.token[:-1] + "Z" + sign(row.token)[len(row.token) :],  # another token, the same signature
    ],
)
def test_forged_cookies_never_reach_the_store(forge: Any) -> None:
    row = Row(token="A" * 31 + "B")
    store = MemoryStore(row)
    with pytest.raises(InvalidSignatureError) as refused:
        sessions(store).verify(forge(row))
    assert refused.value.code == "invalid_signature"
    assert store.asked == []


# -- the refusal rules ------------------------------------------------------------------------------------------------


def test_identity_from_a_stored_session() -> None:
    row = Row()
    identity = sessions(MemoryStore(row)).verify(row.cookie())
    assert identity.kind is TokenKind.SESSION
    assert identity.session_id == row.session_id
    assert identity.claims["session"]["userAgent"] == "pytest"
    assert "token" not in identity.claims["session"]
    with pytest.raises(TypeError):
        identity.claims["user"]["name"] = "Mallory"  # type: ignore[index]


@pytest.mark.parametrize(
    ("row", "code"),
    [
        (Row(expires_at=NOW), "session_expired"),
        (Row(banned=True), "user_banned"),
        (Row(banned=True, ban_expires=NOW + timedelta(seconds=1)), "user_banned"),
    ],
)
def test_refusals(row: Row, code: str) -> None:
    with pytest.raises(InvalidTokenError) as refused:
        sessions(MemoryStore(row)).verify(row.cookie())
    assert refused.value.code == code


def test_a_ban_that_has_expired_no_longer_refuses() -> None:
    row = Row(banned=True, ban_expires=NOW)
    assert sessions(MemoryStore(row)).verify(row.cookie()).user_id == row.user_id


def test_store_outages_are_not_refusals() -> None:
    row = Row()
    store = MemoryStore(row)
    store.fail = True
    with pytest.raises(StoreUnavailableError):
        sessions(store).verify(row.cookie())
    with pytest.raises(StoreUnavailableError):
        asyncio.run(sessions(store).averify(row.cookie()))


# -- the verifier --------------------------------------------------------------------------------------------------------


def test_sync_and_async_agree() -> None:
    row = Row()
    verifier = sessions(MemoryStore(row))
    assert verifier.verify(row.cookie()) == asyncio.run(verifier.averify(row.cookie()))
    with pytest.raises(SessionRejectedError):
        asyncio.run(verifier.averify(Row().cookie()))


def test_no_cache_by_default_so_sign_out_is_immediate() -> None:
    row = Row()
    store = MemoryStore(row)
    verifier = sessions(store)
    verifier.verify(row.cookie())
    del store.rows[row.token]
    with pytest.raises(SessionRejectedError):
        verifier.verify(row.cookie())
    assert verifier.stats == {"cache_hits": 0, "store_lookups": 2}


def test_a_cached_session_never_outlives_its_expiry() -> None:
    row = Row(expires_at=NOW + timedelta(seconds=2))
    now = [NOW.timestamp()]
    verifier = sessions(MemoryStore(row), cache_ttl=60, clock=lambda: now[0])
    verifier.verify(row.cookie())
    now[0] += 2
    with pytest.raises(InvalidTokenError) as refused:
        verifier.verify(row.cookie())
    assert refused.value.code == "session_expired"  # str() is the description; the code is .code


def test_cookie_names() -> None:
    assert sessions(MemoryStore()).cookie_names == ("__Secure-better-auth.session_token", "better-auth.session_token")
    assert sessions(MemoryStore(), cookie_prefix="app").cookie_names[1] == "app.session_token"
    assert sessions(MemoryStore(), cookie_name="sid").cookie_names == ("sid",)


def test_configuration_is_checked_at_construction() -> None:
    store = MemoryStore()
    with pytest.raises(ConfigurationError):
        SessionVerifier(secret="short", store=store, csrf=None)
    with pytest.raises(ConfigurationError):
        SessionVerifier(secret="better-auth-secret-12345678901234567890", store=store, csrf=None)
    with pytest.raises(ConfigurationError):
        SessionVerifier(secret=SECRET, store=object(), csrf=None)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        SessionVerifier(secret=SECRET, store=store, csrf="https://app.example.com")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        SessionVerifier(secret=SECRET, store=store, csrf=None, cache_ttl=3600)
    with pytest.raises(TypeError):
        SessionVerifier(secret=SECRET, store=store)  # type: ignore[call-arg]  # csrf has no silent default
    assert SessionVerifier(secret=SECRET, store=store, csrf=OriginCheck(["https://app.example.com"])).csrf


def test_the_jwt_verifier_refuses_the_session_kind() -> None:
    with pytest.raises(ConfigurationError):
        Verifier(SharedSecret(SECRET), kind=TokenKind.SESSION)


def test_each_kind_refuses_the_others_credentials() -> None:
    from betterauth_jwt.testing import TokenFactory

    factory = TokenFactory("HS256", secret=SECRET)
    row = Row()
    store = MemoryStore(row)
    for jwt in (factory.access_token("u1"), factory.session_cookie(user_id="u1")):
        with pytest.raises(MalformedTokenError):
            sessions(store).verify(jwt)  # a JWT is never a session cookie
    assert store.asked == []
    for kind in (TokenKind.ACCESS, TokenKind.SESSION_COOKIE):
        jwt_verifier = Verifier(SharedSecret(SECRET), issuer=factory.issuer, audience=factory.audience, kind=kind)
        with pytest.raises(MalformedTokenError) as refused:
            jwt_verifier.verify(row.cookie())  # nor a session cookie a JWT
        assert refused.value.code == "not_a_jwt"
